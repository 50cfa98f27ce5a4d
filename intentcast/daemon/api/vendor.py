"""The endpoints an attached vendor bot calls (``intentcast vendor attach``).

The protocol, in ``docs/bots.md``: attach, then long-poll for work items and
answer each; the node signs, seals and publishes the answers.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import Field, WithJsonSchema
from starlette.requests import Request

from intentcast.peer.vendor import Decision
from intentcast.protocol import fields as f
from intentcast.protocol.vocab import CATEGORIES

from ..remote import RemoteVendor
from .answers import Open
from .bodies import validate
from .context import ApiContext, Created
from .errors import ApiError
from .handlers import _body, seconds
from .lookup import resolve
from .models import REQUIRED_TEXT, MessageType, Model, Note
from .render import deal_json

#: Longest long poll of ``GET /v1/vendor/work`` (seconds); below the lease,
#: so a bot that polls back to back never lapses.
MAX_WORK_POLL: Final = 20.0


# --- requests and answers ----------------------------------------------------------


class VendorAttach(Model):
    """Attach a vendor bot."""

    name: Annotated[str, Field(min_length=1, max_length=f.MAX_NAME, pattern=REQUIRED_TEXT)]
    # The names are checked by the remote vendor (which says which are not
    # categories); the schema lists them.
    categories: Annotated[
        list[str],
        Field(min_length=1),
        WithJsonSchema(
            {
                "type": "array",
                "items": {"enum": list(CATEGORIES)},
                "minItems": 1,
                "maxItems": len(CATEGORIES),
                "examples": [["electronics"]],
            }
        ),
    ]
    handler_timeout: Annotated[float, Field(gt=0, le=60)] = 10.0


class VendorSession(Model):
    """The session an attach returned."""

    session: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class VendorAnswer(VendorSession):
    """The bot's answer to a work item: ``offers`` (base64 msgpack offer
    bodies; none for no offer) to an intent, ``confirm`` and ``text`` to an accept."""

    # Each offer is checked (base64, msgpack, a valid offer) against its work item.
    offers: Annotated[
        list[str],
        WithJsonSchema(
            {
                "type": "array",
                "items": {
                    "type": "string",
                    "maxLength": 20_000,
                    "pattern": r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
                },
                "maxItems": 32,
            }
        ),
    ] = []  # noqa: RUF012 (a pydantic model: each instance gets its own copy)
    confirm: bool = False
    text: Note = ""
    #: A thread item (after the deal): the type of the message back with
    #: ``text``; none for no message.
    reply_type: MessageType | None = None


class VendorReply(Model):
    """The owner's confirm or decline of an accept that waits for it: the
    note (confirm) or reason (decline) the customer reads."""

    text: Note = ""


class Attached(Open):
    session: str
    name: str
    categories: list[str]
    vendor_key: str
    lease_seconds: float
    max_poll_seconds: float


class Work(Open):
    work: list[dict[str, Any]]


class Answered(Open):
    ok: bool


class Detached(Open):
    detached: bool


# --- the endpoints -------------------------------------------------------------------


class NotAttachable(ApiError):
    """This daemon's vendor is not one a bot can attach to."""

    status = 409
    code = "not-attachable"


def _remote(ctx: ApiContext) -> RemoteVendor:
    vendor = ctx.node.vendor
    if isinstance(vendor, RemoteVendor):
        return vendor
    if vendor is None:
        raise NotAttachable(
            'this node has no vendor role: add "vendor" to roles in config.toml (and no '
            "catalog) and restart it, or run the bot with its node: intentcast vendor run BOT.py"
        )
    source = f" from {ctx.settings.catalog}" if ctx.settings.catalog is not None else ""
    raise NotAttachable(
        f"this node already answers as {vendor.name!r}{source}; a bot attaches only to a "
        "vendor node without a catalog"
    )


def _session(data: Any, request: Request) -> str:
    session = data.get("session") if isinstance(data, dict) else None
    session = session or request.query_params.get("session")
    if not isinstance(session, str) or not session:
        raise ApiError("'session' is missing: attach first (POST /v1/vendor/attach)")
    return session


async def vendor_attach(request: Request, ctx: ApiContext) -> Created:
    """Attach a vendor bot: it answers this node's intents from now on.
    Returns the session every later call names; it lapses when the bot has
    not polled for ``lease_seconds``."""
    data = await _body(request)
    validate(VendorAttach, data)
    remote = _remote(ctx)
    attached = remote.attach(
        data.get("name"),
        data.get("categories"),
        data.get("handler_timeout", 10.0),
    )
    await ctx.node.vendor_categories_changed()
    assert ctx.node.vendor_keys is not None
    return Created(
        {
            "session": attached.session,
            "name": attached.name,
            "categories": list(attached.categories),
            "vendor_key": ctx.node.vendor_keys.vendor_key.hex(),
            "lease_seconds": remote.lease_seconds,
            "max_poll_seconds": MAX_WORK_POLL,
        }
    )


async def vendor_work(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Work for the attached bot: intents to answer and accepts to confirm
    or decline, waiting up to ``timeout`` seconds for the first (a long
    poll, which also renews the session)."""
    remote = _remote(ctx)
    session = _session(None, request)
    try:
        timeout = seconds(request.query_params.get("timeout", "20"))
        if not 0 <= timeout <= MAX_WORK_POLL:
            raise ValueError(timeout)
    except ValueError:
        raise ApiError(
            f"timeout must be a number of seconds from 0 to {MAX_WORK_POLL:.0f}"
        ) from None
    items = await remote.take_work(session, timeout=max(0.0, timeout))
    return {"work": items}


async def vendor_answer(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """The bot's answer to one work item: ``offers`` (base64 msgpack offer
    bodies; empty for none) for an intent, ``confirm`` and ``text`` for an
    accept, ``reply_type`` and ``text`` (or nothing) for a thread item."""
    data = await _body(request)
    validate(VendorAnswer, data)
    remote = _remote(ctx)
    remote.answer(_session(data, request), request.path_params["work"], data)
    return {"ok": True}


async def vendor_detach(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Detach the bot: the node answers nothing until a bot attaches again."""
    data = await _body(request)
    validate(VendorSession, data)
    remote = _remote(ctx)
    remote.detach(_session(data, request))
    return {"detached": True}


# --- the owner answers an accept (``[vendor] confirm = "manual"``) --------------------


async def _answer_deal(request: Request, ctx: ApiContext, *, confirm: bool) -> dict[str, Any]:
    data = await _body(request)
    validate(VendorReply, data)
    deals = ctx.node.store.deals.list()
    deal = resolve(request.path_params["deal"], ((d.accept.id, d) for d in deals), "deal")
    answered = await ctx.node.answer_accept(deal.accept.id, Decision(confirm, data.get("text", "")))
    return {"deal": deal_json(answered, to_answer=False)}


async def confirm_deal(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Confirm an accept of one of your offers that waits for your answer
    (``to_answer``: ``[vendor] confirm = "manual"``, or one left unanswered
    when the node stopped); ``text`` is the note the customer reads. 409 if
    it does not wait (a customer's deal, answered already, or the bot or
    catalog is answering it)."""
    return await _answer_deal(request, ctx, confirm=True)


async def decline_deal(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Decline an accept of one of your offers that waits for your answer;
    ``text`` is the reason the customer reads (the customer's intent goes
    back on the market). 409 if it does not wait."""
    return await _answer_deal(request, ctx, confirm=False)


__all__ = [
    "confirm_deal",
    "decline_deal",
    "vendor_answer",
    "vendor_attach",
    "vendor_detach",
    "vendor_work",
]
