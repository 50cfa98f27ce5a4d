"""A vendor's signed public profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from . import fields as f
from .intent import ZERO_NONCE
from .kinds import Kind
from .message import Body, set_field, wire_body
from .vocab import CATEGORY_SET


@dataclass(frozen=True, kw_only=True, slots=True)
class VendorProfile(Body):
    """Who a vendor is, what it sells and where it ships; signed by the
    vendor's identity key (``vendor_key`` equals the envelope signer).

    Ratings are never self-declared: they come from deal-backed receipts.
    """

    KIND: ClassVar = Kind.VENDOR_PROFILE

    vendor_key: bytes
    name: str
    categories: tuple[str, ...]
    ships_to: tuple[str, ...]
    #: X25519 key for messages sealed to this vendor.
    reply_key: bytes
    created: int
    expires: int
    description: str = ""
    url: str = ""
    nonce: bytes = ZERO_NONCE

    def __post_init__(self) -> None:
        f.fixed_bytes("vendor_key", self.vendor_key, f.KEY_SIZE)
        f.text("name", self.name, f.MAX_NAME)
        set_field(
            self,
            "categories",
            f.sorted_set("categories", self.categories, len(CATEGORY_SET), CATEGORY_SET),
        )
        set_field(self, "ships_to", f.regions("ships_to", self.ships_to, allow_worldwide=True))
        f.fixed_bytes("reply_key", self.reply_key, f.KEY_SIZE)
        f.validity(self.created, self.expires)
        f.text("description", self.description, f.MAX_DESCRIPTION, required=False)
        f.text("url", self.url, f.MAX_URL, required=False)
        f.fixed_bytes("nonce", self.nonce, f.NONCE_SIZE)


wire_body(
    VendorProfile,
    "vendor-profile",
    {
        "vendor_key": "vendor",
        "name": "name",
        "categories": "cats",
        "ships_to": "ships",
        "reply_key": "reply",
        "created": "created",
        "expires": "expires",
        "description": "desc",
        "url": "url",
        "nonce": "pow",
    },
)
