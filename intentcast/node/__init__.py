"""The node: the only package with trio and libp2p.

:func:`open_node` runs a market :class:`Node` (customer, vendor, relay)
over one :class:`~intentcast.store.Store`; :mod:`.p2p` owns every py-libp2p
setting; :mod:`.sync` is the store-and-forward protocol. Design, topics and
limits: ``docs/node.md``.
"""

from intentcast.peer.config import GossipConfig, NodeConfig, SyncLimits
from intentcast.peer.limits import PeerLimitConfig
from intentcast.peer.vendor import CatalogVendor, Decision, VendorHandler

from .base import Event, EventKind, NodeError
from .errors import MessageTooLarge, NetworkError, PublishBacklogFull
from .node import Node, open_node
from .sync import SyncError

__all__ = [
    "CatalogVendor",
    "Decision",
    "Event",
    "EventKind",
    "GossipConfig",
    "MessageTooLarge",
    "NetworkError",
    "Node",
    "NodeConfig",
    "NodeError",
    "PeerLimitConfig",
    "PublishBacklogFull",
    "SyncError",
    "SyncLimits",
    "VendorHandler",
    "open_node",
]
