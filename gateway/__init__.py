"""Residents' portal: a read-through web gateway over the cooperative's billing database."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module
from .templating import PortalFlask

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

    from . import (
        auth,
        data,
        errors,
        formats,
        links,
        logs,
        ops,
        pages,
        security,
        sessions,
        store,
        templating,
    )

    logs.init_app(app)
    store.init_app(app)
    sessions.init_app(app)
    data.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    formats.init_app(app)
    links.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(ops.bp)
    return app
