"""The daemon: one node home run as a process with a local HTTP API, around
the network engine in :mod:`intentcast.node` (which knows nothing of it).

- :mod:`.layout`: the files of a home, by name (light: clients import it);
- :mod:`.home`: creating a home, its keys, lock and cookie;
- :mod:`.config`: ``config.toml`` (:class:`~.config.Settings`);
- :mod:`.events`: the event log API clients follow;
- :mod:`.addresses`: dialable addresses, free ports;
- :mod:`.remote`: the vendor whose bot runs in another process;
- :mod:`.api`: the local HTTP API;
- :mod:`.process`: :func:`~.process.run_daemon`, which runs all of it.

This module imports none of them, so that a light client (the CLI, an
attached bot) can read :mod:`.layout` without loading the node. Reference:
``docs/daemon.md``.
"""
