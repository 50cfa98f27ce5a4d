"""Persistence of a node: the only package that touches files and SQL.

:class:`Store` opens one SQLite file per node (WAL, foreign keys on,
``synchronous=FULL``) and hands out typed repositories that take and
return protocol types. Every error is a :class:`StoreError`. Schema,
durability choices and errors: ``docs/store.md``.
"""

from .budget import GossipBudget
from .connection import Synchronous
from .deals import Deal, Deals, DealState, Role, TrackRecord
from .errors import (
    CorruptDatabase,
    DatabaseLocked,
    DatabaseUnavailable,
    DiskFull,
    KeyNotReserved,
    NewerDatabase,
    RecordNotFound,
    StoreError,
)
from .gossip import GossipCache, Ingest, InventoryItem
from .keyfile import (
    InsecureKeyFile,
    KeyFileExists,
    check_private,
    read_key_file,
    write_key_file,
    write_private,
)
from .node_store import Store, SweepReport
from .offers import MadeOffer, Offers, ReceivedOffer
from .own import OwnIntent, OwnIntents
from .peers import Peer, Peers
from .ratings import OwnRating, RatingRow, Ratings, StoredRating
from .relationships import Disclosure, Relationship, Relationships, ThreadEntry
from .schema import LATEST as SCHEMA_VERSION
from .stems import OwnStems, PendingStem

__all__ = [
    "SCHEMA_VERSION",
    "CorruptDatabase",
    "DatabaseLocked",
    "DatabaseUnavailable",
    "Deal",
    "DealState",
    "Deals",
    "Disclosure",
    "DiskFull",
    "GossipBudget",
    "GossipCache",
    "Ingest",
    "InsecureKeyFile",
    "InventoryItem",
    "KeyFileExists",
    "KeyNotReserved",
    "MadeOffer",
    "NewerDatabase",
    "Offers",
    "OwnIntent",
    "OwnIntents",
    "OwnRating",
    "OwnStems",
    "Peer",
    "Peers",
    "PendingStem",
    "RatingRow",
    "Ratings",
    "ReceivedOffer",
    "RecordNotFound",
    "Relationship",
    "Relationships",
    "Role",
    "Store",
    "StoreError",
    "StoredRating",
    "SweepReport",
    "Synchronous",
    "ThreadEntry",
    "TrackRecord",
    "check_private",
    "read_key_file",
    "write_key_file",
    "write_private",
]
