"""The endpoints of relationships after the deal (docs/daemon.md,
"Relationships"): who knows what about me, the thread of each deal, a
message, change my details everywhere, send again to the silent, forget me.
A vendor's node answers the same list and threads from its side."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from starlette.requests import Request

from intentcast.node import relationships as node
from intentcast.store import Relationship, ThreadEntry

from .answers import Open
from .bodies import validate
from .context import ApiContext
from .handlers import _body
from .lookup import resolve
from .models import HEX_ID, DisclosureName, DisclosureValue, MessageType, Model, Note

# --- requests and answers ----------------------------------------------------------


class ThreadMessage(Model):
    """A message on a deal: a ``type`` and a short ``text``; ``re`` the id
    (prefix) of the thread message it answers."""

    text: Note = ""
    type: MessageType = "other"
    re: Annotated[str, Field(pattern=HEX_ID)] | None = None


class Forget(Model):
    """Ask the deal's vendor to delete what it holds about you."""

    reason: Note = ""


class DetailUpdate(Model):
    """Change a disclosed field for every vendor that holds it: ``value``
    (null: remove it); ``old``: only vendors holding exactly that value."""

    field: DisclosureName
    value: DisclosureValue | None
    old: DisclosureValue | None = None


class Resend(Model):
    """Send the current value again to the vendors that did not acknowledge
    it (of ``field``, or of every field)."""

    field: DisclosureName | None = None


class Held(Open):
    value: str | None
    since: int
    acknowledged: bool


class ThreadEntryView(Open):
    id: str
    kind: str
    from_: Literal["me", "them"] = Field(alias="from")
    seq: int
    created: int
    content: dict[str, Any] | None
    answered_by: str | None


class RelationshipView(Open):
    deal: str
    role: Literal["customer", "vendor"]
    vendor: str
    vendor_key: str
    opened: int
    live: bool
    holds: dict[str, Held]
    silent: list[str]
    delete_due: int | None
    overdue: bool
    forget_asked: int | None
    deleted: int | None
    thread: list[ThreadEntryView] | None = None


class Relationships(Open):
    relationships: list[RelationshipView]


class RelationshipAnswer(Open):
    relationship: RelationshipView


class SentMessage(Open):
    deal: str
    vendor: str
    id: str


class Sent(Open):
    sent: list[SentMessage]


# --- the endpoints -------------------------------------------------------------------


def _relationship(ctx: ApiContext, prefix: str) -> Relationship:
    rels = ctx.node.relationships.relationships()
    return resolve(prefix, ((r.accept_id, r) for r in rels), "relationship")


def relationship_json(
    ctx: ApiContext, rel: Relationship, *, thread: bool = False
) -> dict[str, Any]:
    """JSON form of a relationship: the vendor, what it holds, the terms'
    deadline, and (``thread``) the messages."""
    part = ctx.node.relationships
    fields = part.fields(rel.accept_id)
    out: dict[str, Any] = {
        "deal": rel.accept_id.hex(),
        "role": rel.role.value,
        "vendor": rel.vendor_name,
        "vendor_key": rel.vendor_key.hex(),
        "opened": rel.opened,
        "live": rel.live,
        "holds": {
            name: {"value": s.value, "since": s.since, "acknowledged": s.acknowledged}
            for name, s in fields.items()
        },
        "silent": sorted(n for n, s in fields.items() if not s.acknowledged and rel.live),
        "delete_due": rel.delete_due,
        "overdue": part.overdue(rel),
        "forget_asked": rel.forget_asked,
        "deleted": rel.deleted,
    }
    if thread:
        out["thread"] = [entry_json(e) for e in ctx.node.store.relationships.thread(rel.accept_id)]
    return out


def entry_json(entry: ThreadEntry) -> dict[str, Any]:
    """One thread message; ``content`` is null once the vendor deleted it."""
    content: dict[str, Any] | None = None
    if entry.message is not None:
        body = entry.message.message.to_body()
        content = {
            k: (v.hex() if isinstance(v, bytes) else list(v) if isinstance(v, tuple) else v)
            for k, v in body.items()
            if k not in ("deal", "seq", "created")
        }
    return {
        "id": entry.id.hex(),
        "kind": entry.kind,
        "from": "me" if entry.outgoing else "them",
        "seq": entry.seq,
        "created": entry.created,
        "content": content,
        "answered_by": None if entry.answered_by is None else entry.answered_by.hex(),
    }


def _sent(sent: list[node.Sent]) -> dict[str, Any]:
    return {
        "sent": [
            {"deal": s.accept_id.hex(), "vendor": s.vendor_name, "id": s.message.id.hex()}
            for s in sent
        ]
    }


async def list_relationships(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Every relationship of this node: per deal, the vendor and what it
    holds about the customer (who knows what about me), who has not
    acknowledged the latest value, and delete-after-deal deadlines."""
    rels = ctx.node.relationships.relationships()
    return {"relationships": [relationship_json(ctx, r) for r in rels]}


async def show_relationship(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """One relationship by its deal id (prefix), with its thread."""
    rel = _relationship(ctx, request.path_params["deal"])
    return {"relationship": relationship_json(ctx, rel, thread=True)}


async def send_message(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Send a message on a deal (either side); ``re`` answers a thread message."""
    data = await _body(request)
    validate(ThreadMessage, data)
    rel = _relationship(ctx, request.path_params["deal"])
    re = None
    if data.get("re") is not None:
        entries = ctx.node.store.relationships.thread(rel.accept_id)
        re = resolve(data["re"], ((e.id, e) for e in entries), "thread message").id
    sent = await ctx.node.relationships.message(
        rel.accept_id, data.get("text", ""), type=data.get("type", "other"), re=re
    )
    return _sent([sent])


async def forget(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Ask the deal's vendor to delete what it holds about you; its node
    answers with a signed statement of deletion."""
    data = await _body(request)
    validate(Forget, data)
    rel = _relationship(ctx, request.path_params["deal"])
    return _sent([await ctx.node.relationships.forget(rel.accept_id, data.get("reason", ""))])


async def update_detail(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Change a detail once: a sealed update to every vendor that holds
    another value of the field under a live relationship, and only those."""
    data = await _body(request)
    validate(DetailUpdate, data)
    sent = await ctx.node.relationships.update_detail(
        data["field"], data["value"], old=data.get("old")
    )
    return _sent(sent)


async def resend_details(request: Request, ctx: ApiContext) -> dict[str, Any]:
    """Send the current value again to every vendor that has not
    acknowledged it (offline when it went out)."""
    data = await _body(request)
    validate(Resend, data)
    return _sent(await ctx.node.relationships.resend_silent(data.get("field")))


__all__ = [
    "forget",
    "list_relationships",
    "resend_details",
    "send_message",
    "show_relationship",
    "update_detail",
]
