"""Words for the relevance rule: a small, predictable normaliser.

Text is case-folded and split into runs of letters and runs of digits
(``"128GB"`` gives ``128`` and ``gb``, so ``"128 GB"`` matches it);
filler words (``the``, ``for``, ``new``, ``want``...) are dropped and a
plural ``s`` is stripped (``phones`` = ``phone``). No language model, no
fuzzy matching: a vendor can predict exactly which intents an item meets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from intentcast.protocol.fields import AttributeValue

_WORD: Final = re.compile(r"[^\W\d_]+|\d+")

#: Words that say nothing about *what* is wanted.
_STOPWORDS_TEXT: Final = """
    a an and any are as at be best buy buying by cheap for from good great i in is it
    looking me my need needed new of on one or please some the to used want wanted we
    with
"""
STOPWORDS: Final = frozenset(_STOPWORDS_TEXT.split())


def normalise(word: str) -> str:
    """One word as matched: plural ``s`` stripped (not ``ss``)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(text: str) -> frozenset[str]:
    """The matchable words of ``text``."""
    return frozenset(normalise(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS)


def item_words(
    title: str,
    keywords: Iterable[str],
    attributes: Mapping[str, AttributeValue],
) -> frozenset[str]:
    """The plain words of an item: its title, keywords and text and number
    attribute values (not its category path: a segment like ``home-garden``
    must not make ``garden`` a word of every item under it)."""
    text = " ".join(
        [
            title,
            *keywords,
            *(str(v) for v in attributes.values() if type(v) in (str, int)),
        ]
    )
    return words(text)
