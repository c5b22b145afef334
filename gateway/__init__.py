"""Residents' portal: a read-through web gateway over the cooperative's billing database."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module
from .web import PortalFlask

__all__ = ["create_app"]


def create_app(config_path: str | os.PathLike | None = None,
               test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory.

    `config_path` names an INI file (else GATEWAY_CONFIG, else ./config.ini).
    `test_config` is a mapping of INI names ('billing.connection': ...) used
    instead of a file; Flask keys in upper case (TESTING, WTF_CSRF_ENABLED)
    pass straight through.
    """
    if test_config is not None:
        ini_names = {k: v for k, v in test_config.items() if "." in k}
        settings = config_module.from_mapping(ini_names)
        settings.update({k: v for k, v in test_config.items() if "." not in k})
    else:
        settings = config_module.load(config_path)

    app = PortalFlask(__name__, template_folder=str(settings["PORTAL_TEMPLATES_DIR"]),
                static_folder=str(Path(__file__).resolve().parent / "static"))
    app.config.update(settings)
    app.config.update(
        MAX_CONTENT_LENGTH=settings["SERVER_MAX_REQUEST_BODY"],
        PREFERRED_URL_SCHEME="https" if settings["PORTAL_HTTPS"] else "http",
        WTF_CSRF_TIME_LIMIT=settings.get("WTF_CSRF_TIME_LIMIT", 3600),
        JSON_AS_ASCII=False,
    )
    if not app.config["SECRET_KEY"]:
        # Tests and `gateway check` may run without one; `gateway serve` refuses.
        app.config["SECRET_KEY"] = os.urandom(32).hex()
        app.config["_GENERATED_KEY"] = True

    from . import billing, ops, store, web

    ops.init_app(app)  # logging first: everything after it may log
    store.init_app(app)
    billing.init_app(app)
    web.init_app(app)
    return app
