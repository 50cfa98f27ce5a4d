"""The OpenAPI document's ``components.schemas``: the JSON Schema of every
request and answer model, gathered from the modules that declare them
(requests in :mod:`.models`, answers in :mod:`.answers`, and each
resource's own in :mod:`.vendor`, :mod:`.relationships`, :mod:`.ratings`
and the web app's :mod:`..web.handlers`)."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel

from ..web import handlers as web
from . import answers, models, ratings, relationships, vendor

#: Every model of the OpenAPI document's ``components.schemas``.
MODELS: Final[tuple[type[BaseModel], ...]] = (
    answers.Error,
    models.Connect,
    models.IntentDraft,
    models.IntentChanges,
    models.Withdraw,
    models.Accept,
    vendor.VendorAttach,
    vendor.VendorSession,
    vendor.VendorAnswer,
    vendor.VendorReply,
    answers.Status,
    answers.Stopping,
    answers.Peers,
    answers.Connected,
    answers.Events,
    answers.Intents,
    answers.IntentAnswer,
    answers.Posted,
    answers.Offers,
    answers.DealAnswer,
    answers.Deals,
    vendor.Attached,
    vendor.Work,
    vendor.Answered,
    vendor.Detached,
    web.WebLogin,
    web.WebSession,
    web.WebLogout,
    web.Vocab,
    web.VendorOffers,
    web.VendorCatalog,
    relationships.ThreadMessage,
    relationships.Forget,
    relationships.DetailUpdate,
    relationships.Resend,
    relationships.Relationships,
    relationships.RelationshipAnswer,
    relationships.Sent,
    ratings.Rate,
    ratings.RatingReplyBody,
    ratings.RateAnswer,
    ratings.VendorRatings,
    ratings.ReplyAnswer,
)


def component_schemas() -> dict[str, Any]:
    """``components.schemas``: the JSON Schema of every model, nested models
    as ``$ref``s to their own entries."""
    out: dict[str, Any] = {}
    for model in MODELS:
        schema = model.model_json_schema(
            ref_template="#/components/schemas/{model}", mode="validation"
        )
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    _drop_null_defaults(out)
    return out


def _drop_null_defaults(node: object) -> None:
    """Optional request fields have no default to show (leaving one out is
    not sending null, which is refused)."""
    if isinstance(node, dict):
        if node.get("default", 0) is None:
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)


__all__ = ["MODELS", "component_schemas"]
