"""Stripe's request encoding: `a[b][0][c]=v` form fields into nested dicts and lists."""

import re
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"[^\[\]]+")


def decode_form(body: str) -> dict[str, Any]:
    """Decode a Stripe form body into nested dicts; numeric keys become lists."""
    root: dict[str, Any] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        parts = _KEY.findall(name)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    decoded: dict[str, Any] = _listify(root)
    return decoded


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _listify(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items
