"""A conformance suite for intentcast implementations (docs/conformance.md).

``python -m conformance vectors [--adapter CMD]`` runs every stored vector
(tests/vectors/) through an implementation over a JSON-lines adapter;
``python -m conformance node MULTIADDR`` checks a running node over libp2p.
The cases themselves are built by :mod:`conformance.cases` (messages) and
:mod:`conformance.frames` (sync and stem frames), from the protocol's own
API and a few raw-byte forgeries, deterministically for a given ``now``.
"""
