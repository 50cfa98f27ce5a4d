"""A fixed-price shop that answers from its TOML catalog.

Oberbaum Audio sells headphones and speakers at list prices. The catalog
(``audio_shop.toml``, format in docs/matching.md) says what it sells, at
what price, where it ships, how fast, which customer terms it accepts and
how it takes payment. :class:`~intentcast.sdk.CatalogBot` offers every
relevant item that meets the customer's hard terms, and confirms accepts
while stock lasts: the same as ``vendor run --catalog audio_shop.toml``,
but as code you can extend (override ``price_for`` or ``on_accept``).

Run it: ``intentcast vendor run examples/bots/audio_shop.py``
"""

from pathlib import Path

from intentcast.sdk import CatalogBot

bot = CatalogBot.from_file(Path(__file__).with_name("audio_shop.toml"))
