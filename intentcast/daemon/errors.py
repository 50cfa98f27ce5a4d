"""What the daemon tells the user to fix: one line each."""

from __future__ import annotations


class DaemonError(Exception):
    """A problem with the node home or its configuration that the user must
    fix; the message says what and how, in one line."""


class HomeExists(DaemonError):
    """``init`` refused to overwrite an existing home."""


class ConfigError(DaemonError):
    """``config.toml`` is missing, unreadable or has a bad value."""


class AlreadyRunning(DaemonError):
    """Another daemon holds this home."""


__all__ = ["AlreadyRunning", "ConfigError", "DaemonError", "HomeExists"]
