"""Closed vocabularies of the wire format: categories, payment modes,
preference criteria, currencies, countries, region syntax.

A value outside these sets is a schema violation. Adding to a set is a
protocol change (see ``docs/protocol.md``, "Versioning").
"""

from __future__ import annotations

import re
from typing import Final

#: Top level of every category path. Intents and sealed offers are gossiped on
#: one topic per top-level category, so this list is also the topic list.
CATEGORIES: Final = (
    "electronics",
    "home",
    "fashion",
    "vehicles",
    "travel",
    "services",
    "food",
    "health",
    "media",
    "sports",
    "toys",
    "business",
    "other",
)
CATEGORY_SET: Final = frozenset(CATEGORIES)

#: Sub-levels of a category path: lowercase slugs.
SUBCATEGORY_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")

#: How the customer is willing to pay (EmanciPay adds the last two).
PAYMENT_MODES: Final = frozenset(
    {
        "prepay",  # pay in full before shipping
        "pay-on-delivery",  # pay when the goods arrive
        "pay-after-delivery",  # pay after trying the goods, within the vendor's window
        "name-your-price",  # the customer names the price within the offer's floor
        "escrow",  # a third party holds the money until delivery
    }
)

#: Customer terms are machine-readable ids ``namespace:slug``. ``cc:`` is
#: Customer Commons; other namespaces are allowed so communities can add terms.
CUSTOMER_TERM_RE: Final = re.compile(r"[a-z0-9]{1,16}:[a-z0-9][a-z0-9-]{0,47}")

#: Well-known terms, documented in docs/protocol.md. Others are legal on the
#: wire as long as they match :data:`CUSTOMER_TERM_RE`.
KNOWN_CUSTOMER_TERMS: Final = {
    "cc:no-tracking": "no tracking of the customer beyond what the deal needs",
    "cc:no-resale": "no sale or sharing of the customer's data",
    "cc:delete-after-deal": "delete the customer's data once the deal is done",
    "cc:no-marketing": "no marketing messages to the customer",
    "cc:no-profiling": "no profiling or automated decisions about the customer",
    "cc:data-portability": "hand the customer their data on request",
}

#: Soft-score criteria an intent weighs (integer weights, 0-100).
PREFERENCE_CRITERIA: Final = ("price", "speed", "reputation", "terms", "attributes")

#: What a customer may disclose to the vendor it accepts.
DISCLOSURE_FIELDS: Final = frozenset(
    {"name", "contact", "email", "phone", "shipping", "billing", "note"}
)

#: Attribute names: short snake_case identifiers (units go in the name, e.g.
#: ``storage_gb``, since numbers are integers).
ATTRIBUTE_KEY_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")

#: Geohash alphabet (base32 without a, i, l, o).
GEOHASH_RE: Final = re.compile(r"[0-9bcdefghjkmnpqrstuvwxyz]{1,5}")

#: ISO 4217 active currency codes (2024 list).
CURRENCIES: Final = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB
    BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP
    CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
    GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
    SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS
    VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

#: ISO 3166-1 alpha-2 country codes.
COUNTRIES: Final = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ
    BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR
    CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
    PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
    SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR
    TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """.split()
)

#: A ships-to entry that covers every region.
WORLDWIDE: Final = "*"


def is_region(value: str) -> bool:
    """True for an ISO 3166-1 alpha-2 country (``DE``) or a geohash of 1-5
    characters (``u33db``). Case tells them apart: countries are upper case,
    geohashes lower case."""
    return value in COUNTRIES or GEOHASH_RE.fullmatch(value) is not None
