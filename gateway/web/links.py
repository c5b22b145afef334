"""Links with constant arguments (the tabs, the stylesheet), built once per URL root.

`url_for` walks werkzeug's URL map on every call; the layout has a
dozen fixed links, so they are remembered per application root (the
`SCRIPT_NAME` a proxy may set). Links carrying request data (`next=...`, the
resident's chosen premises) keep using `url_for`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request, url_for

MAX_LINKS = 256  # a few roots × the fixed links; more means a misconfigured proxy


def make_link() -> Callable[..., str]:
    cache: dict[tuple, str] = {}

    def link(endpoint: str, **values: str) -> str:
        """`url_for(endpoint, **values)` for constant arguments, cached per app root."""
        key = (request.script_root, endpoint, *values.items())
        url = cache.get(key)
        if url is None:
            if len(cache) >= MAX_LINKS:
                cache.clear()
            url = cache[key] = url_for(endpoint, **values)
        return url

    return link


def init_app(app: Flask) -> None:
    app.jinja_env.globals["link"] = make_link()
