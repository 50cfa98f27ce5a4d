"""The daemon's local HTTP JSON API (starlette, served by hypercorn on trio).

It listens on 127.0.0.1 only and wants ``Authorization: Bearer <token>`` on
every request, the token being the one in the home's ``api.cookie``
(0600, new at every start). Every error has one shape::

    {"error": {"code": "not-found", "message": "no intent of yours starts with 'ab12'"}}

Ids in paths may be short hex prefixes when they are unambiguous. The
OpenAPI document is served at ``/openapi.json``; the reference is
``docs/daemon.md``.
"""

from .app import build_app
from .context import ApiContext, Created
from .drafts import intent_fields
from .endpoints import ENDPOINTS, openapi_document
from .errors import Ambiguous, ApiError, BadDraft, NotFound, error_response
from .lookup import resolve

__all__ = [
    "ENDPOINTS",
    "Ambiguous",
    "ApiContext",
    "ApiError",
    "BadDraft",
    "Created",
    "NotFound",
    "build_app",
    "error_response",
    "intent_fields",
    "openapi_document",
    "resolve",
]
