"""The API's reference as one HTML page (``GET /`` and ``/docs``), written
from the OpenAPI document: every operation, its parameters, its body's and
answer's fields. No script, no style sheet from elsewhere, no CDN: the
page works offline and a browser fetches nothing else for it."""

from __future__ import annotations

import json
from html import escape
from typing import Any, Final

_STYLE: Final = """
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; }
code, pre { font: 13px ui-monospace, monospace; }
h2 { margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
.op { margin: 1.2rem 0; }
.method { display: inline-block; min-width: 3.6rem; font-weight: bold; }
table { border-collapse: collapse; margin: .4rem 0; }
td, th { text-align: left; vertical-align: top; padding: .15rem .6rem .15rem 0; }
details pre { background: #f4f4f4; padding: .6rem; overflow-x: auto; }
"""


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#{escape(name)}">{escape(name)}</a>'
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " or ".join(_type(s) for s in schema[key])
    if "enum" in schema:
        values = schema["enum"]
        shown = ", ".join(escape(json.dumps(v)) for v in values[:8])
        return f"one of {shown}" + (f" (and {len(values) - 8} more)" if len(values) > 8 else "")
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    return escape(str(kind))


def _fields(schema: dict[str, Any]) -> str:
    props = schema.get("properties", {})
    if not props:
        return ""
    required = set(schema.get("required", ()))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>{' (required)' if name in required else ''}</td>"
        f"<td>{_type(field)}</td><td>{escape(field.get('description', ''))}</td></tr>"
        for name, field in props.items()
    )
    return f"<table>{rows}</table>"


def docs_page(doc: dict[str, Any]) -> str:
    """The HTML reference of the OpenAPI document ``doc``."""
    info = doc["info"]
    server = doc["servers"][0]["url"]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{escape(info['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info['title'])} {escape(info['version'])}</h1>",
        f"<p>{escape(info['description'])}</p>",
        f"<p>At <code>{escape(server)}</code>. The machine-readable document: "
        '<a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1; a client generator '
        "reads it).</p>",
        "<h2>Operations</h2>",
    ]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            parts.append('<div class="op">')
            parts.append(
                f'<div><span class="method">{method.upper()}</span> '
                f"<code>{escape(path)}</code> {escape(op['summary'])}</div>"
            )
            if op["description"] != op["summary"] + ".":
                parts.append(f"<div>{escape(op['description'])}</div>")
            params = op.get("parameters", [])
            if params:
                rows = "".join(
                    f"<tr><td><code>{escape(p['name'])}</code> ({p['in']})</td>"
                    f"<td>{_type(p['schema'])}</td><td>{escape(p.get('description', ''))}</td></tr>"
                    for p in params
                )
                parts.append(f"<table>{rows}</table>")
            body = op.get("requestBody")
            if body is not None:
                schema = body["content"]["application/json"]["schema"]
                parts.append(f"<div>Body: {_type(schema)}</div>")
            for status, answer in op["responses"].items():
                content = answer.get("content", {})
                for media, entry in content.items():
                    parts.append(
                        f"<div>{escape(status)}: {_type(entry['schema'])} "
                        f"<small>({escape(media)})</small></div>"
                    )
            parts.append("</div>")
    parts.append("<h2>Types</h2>")
    for name, schema in doc["components"]["schemas"].items():
        parts.append(f'<h3 id="{escape(name)}">{escape(name)}</h3>')
        if schema.get("description"):
            parts.append(f"<p>{escape(schema['description'])}</p>")
        parts.append(_fields(schema))
        parts.append(
            "<details><summary>JSON Schema</summary><pre>"
            + escape(json.dumps(schema, indent=2))
            + "</pre></details>"
        )
    parts.append("</body></html>")
    return "".join(parts)


__all__ = ["docs_page"]
