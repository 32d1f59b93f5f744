"""The browsable API reference at `/api/docs`: the OpenAPI document drawn as a page on the server.

No script and no CDN (the site's Content-Security-Policy allows neither inline nor foreign code): the page
is rendered from the same document `/api/openapi.json` serves, so the two cannot disagree.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {})
        return target
    return node


def _schema_text(spec: dict[str, Any], content: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(media type, the schema as indented JSON with its references named) for each media type."""
    found = []
    for media, body in (content or {}).items():
        schema = body.get("schema", {})
        found.append((media, json.dumps(schema, ensure_ascii=False, indent=2)))
    return found


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            parameters = [_resolve(spec, p) for p in (item.get("parameters", []) + op.get("parameters", []))]
            body = _resolve(spec, op.get("requestBody")) if op.get("requestBody") else None
            rows.append(
                {
                    "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or [""])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": parameters,
                    "body": _schema_text(spec, body.get("content") if body else None),
                    "responses": [
                        (status, _resolve(spec, response).get("description", ""))
                        for status, response in op.get("responses", {}).items()
                    ],
                }
            )
    return rows


@bp.get("/api/docs")
def api_docs() -> str:
    from web.api import spec_dict

    spec = spec_dict()
    schemas = {
        name: json.dumps(schema, ensure_ascii=False, indent=2)
        for name, schema in spec.get("components", {}).get("schemas", {}).items()
    }
    return render_template("api_docs.html", spec=spec, operations=operations(spec), schemas=schemas)
