"""Persistence of a node: the only package that touches files and SQL."""

from .keyfile import InsecureKeyFile, KeyFileExists, check_private, read_key_file, write_key_file

__all__ = ["InsecureKeyFile", "KeyFileExists", "check_private", "read_key_file", "write_key_file"]
