"""``intentcast demo``: one intentcast's whole life, in one process.

Until the networked demo lands (a local market of real libp2p nodes), this
walks the protocol round trip with real keys, signatures, proof of work and
sealed boxes: a customer posts an intent, two vendors answer with sealed
offers, the customer opens them, accepts one disclosing only a contact, and
the vendor confirms. Every message passes the same validator the network uses.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import click

from intentcast.protocol import (
    DEFAULT_PARAMS,
    Accept,
    Confirm,
    Intent,
    Item,
    Offer,
    Signed,
    Terms,
    Verdict,
    check_accept,
    check_vendor_reply,
    derive_intent_keys,
    derive_vendor_keys,
    open_deal,
    open_offer,
    seal_deal,
    seal_offer,
    sign,
    validate,
)

DAY = 86_400


def _money(minor: int, currency: str) -> str:
    return f"{minor / 100:,.2f} {currency}"


def _must(verdict: Verdict[Any], what: str) -> Signed[Any]:
    if not verdict.accepted or verdict.signed is None:
        raise click.ClickException(f"{what} did not validate: {verdict}")
    return verdict.signed


def run_walkthrough(echo: Any) -> dict[str, Any]:
    """Run the round trip, reporting each step through ``echo``; return a summary."""
    now = int(time.time())
    seed = os.urandom(32)
    keys = derive_intent_keys(seed, 0)
    terms = Terms(
        max_price=30_000,
        currency="EUR",
        region="DE",
        deliver_by=now + 5 * DAY,
        customer_terms=("cc:no-tracking", "cc:delete-after-deal"),
        payment_modes=("pay-after-delivery", "prepay"),
    )
    draft = Intent(
        category=("electronics", "phones"),
        title="Used Pixel 8, 128 GB, good battery",
        attributes={"storage_gb": 128, "battery_health_pct": (85, 100)},
        terms=terms,
        reply_key=keys.reply_public,
        created=now,
        expires=now + 7 * DAY,
    )
    started = time.perf_counter()
    intent = sign(draft, keys.signing)
    mint_ms = (time.perf_counter() - started) * 1000
    echo(
        f"customer  posts intent {intent.id.hex()[:16]} "
        f"({len(intent.raw)} bytes, proof of work {mint_ms:.0f} ms)"
    )
    echo(
        f"          wants: {draft.title}; at most {_money(terms.max_price, 'EUR')}, "
        f"terms {', '.join(terms.customer_terms)}"
    )
    relayed = _must(validate(intent.raw, now=now), "intent")

    vendors = [
        ("Pixel Palace", 27_500, ("cc:delete-after-deal", "cc:no-tracking")),
        ("Cheap Phones", 22_000, ()),
    ]
    sealed_offers = []
    vendor_keys = {}
    for index, (name, price, accepted_terms) in enumerate(vendors):
        vkeys = derive_vendor_keys(os.urandom(32))
        offer = sign(
            Offer(
                intent_id=relayed.id,
                vendor_key=vkeys.vendor_key,
                vendor_name=name,
                item=Item(
                    title="Pixel 8 128 GB", attributes={"storage_gb": 128}, sku=f"px8-{index}"
                ),
                quantity=1,
                price=price,
                currency="EUR",
                deliver_by=now + 3 * DAY,
                ships_to=("DE", "AT"),
                customer_terms=accepted_terms,
                payment_modes=("prepay", "pay-after-delivery"),
                reply_key=vkeys.reply_public,
                created=now,
                valid_until=now + 2 * DAY,
            ),
            vkeys.signing,
        )
        vendor_keys[offer.id] = vkeys
        sealed = seal_offer(offer, relayed, created=now, random_bytes=os.urandom)
        echo(
            f"vendor    {name!r} answers with a sealed offer {sealed.id.hex()[:16]}: "
            f"the wire names no vendor and no price"
        )
        sealed_offers.append(_must(validate(sealed.raw, now=now), "sealed offer"))

    opened = [_must(open_offer(s, keys.reply, now=now), "offer") for s in sealed_offers]
    required = set(terms.customer_terms)
    acceptable = [o for o in opened if required <= set(o.message.customer_terms)]
    for o in opened:
        missing = sorted(required - set(o.message.customer_terms))
        verdict = "meets your terms" if not missing else f"refuses {', '.join(missing)}"
        echo(
            f"customer  opens offer from {o.message.vendor_name!r}: "
            f"{_money(o.message.price, 'EUR')}, {verdict}"
        )
    best = min(acceptable, key=lambda o: o.message.price)
    accept = sign(
        Accept(
            intent_id=relayed.id,
            offer_id=best.id,
            payment_mode="pay-after-delivery",
            price=best.message.price,
            created=now,
            disclosure={"contact": "alice@example.org"},
        ),
        keys.signing,
    )
    sealed_accept = seal_deal(
        accept,
        to=best.id,
        recipient=best.message.reply_key,
        created=now,
        expires=now + DAY,
        random_bytes=os.urandom,
    )
    echo(f"customer  accepts {best.message.vendor_name!r}, disclosing only: contact")

    vkeys = vendor_keys[best.id]
    got = _must(
        open_deal(_must(validate(sealed_accept.raw, now=now), "accept"), vkeys.reply, now=now),
        "accept",
    )
    _must(check_accept(got, relayed, best), "accept")
    confirm = sign(
        Confirm(
            accept_id=got.id,
            offer_id=best.id,
            intent_id=relayed.id,
            created=now,
            note="Ships tomorrow.",
        ),
        vkeys.signing,
    )
    sealed_confirm = seal_deal(
        confirm,
        to=got.id,
        recipient=draft.reply_key,
        created=now,
        expires=now + DAY,
        random_bytes=os.urandom,
    )
    reply = _must(
        open_deal(_must(validate(sealed_confirm.raw, now=now), "confirm"), keys.reply, now=now),
        "confirm",
    )
    _must(check_vendor_reply(reply, got, best), "confirm")
    echo(
        f"vendor    confirms: deal made ({_money(best.message.price, 'EUR')}, "
        f"{best.message.vendor_name!r} signed {', '.join(best.message.customer_terms)})"
    )
    return {
        "intent_id": relayed.id.hex(),
        "offers": [
            {
                "vendor": o.message.vendor_name,
                "price": o.message.price,
                "meets_terms": o in acceptable,
            }
            for o in opened
        ],
        "accepted": {
            "vendor": best.message.vendor_name,
            "price": best.message.price,
            "disclosed": sorted(accept.message.disclosure),
        },
        "confirmed": True,
        "intent_pow_bits": DEFAULT_PARAMS.work_for(intent.kind),
    }


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of the story.")
def demo(as_json: bool) -> None:
    """Walk one intentcast from post to confirmed deal (real keys, signatures,
    proof of work and sealed boxes)."""
    summary = run_walkthrough((lambda _line: None) if as_json else click.echo)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
