"""Tests of intentcast.store."""
