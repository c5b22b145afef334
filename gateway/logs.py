"""Logging: application and access logs to rotating files, one line per request.

The access line holds method, path (without the query string: it may name
a premises or an account), status, time and login; never a password.
"""

from __future__ import annotations

import logging
import time
import uuid
from logging.handlers import RotatingFileHandler

from flask import Flask, g, request

ACCESS = logging.getLogger("gateway.access")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def incident_id() -> str:
    """Short id shown on error pages and written to the log, so staff can find it."""
    return uuid.uuid4().hex[:10]


def _handler(path, cfg) -> logging.Handler:
    handler = RotatingFileHandler(path, maxBytes=cfg["LOGGING_MAX_BYTES"],
                                  backupCount=cfg["LOGGING_BACKUPS"], encoding="utf-8",
                                  delay=True)
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def init_app(app: Flask) -> None:
    cfg = app.config
    level = getattr(logging, cfg["LOGGING_LEVEL"].upper())
    root = logging.getLogger("gateway")
    root.setLevel(level)
    if not cfg.get("TESTING"):
        log_dir = cfg["LOGGING_DIR"]
        log_dir.mkdir(parents=True, exist_ok=True)
        marker = str(log_dir.resolve())
        if getattr(root, "_portal_log_dir", None) != marker:
            for old in list(root.handlers):
                root.removeHandler(old)
            root.addHandler(_handler(log_dir / "portal.log", cfg))
            ACCESS.addHandler(_handler(log_dir / "access.log", cfg))
            ACCESS.propagate = False
            root._portal_log_dir = marker  # type: ignore[attr-defined]
    ACCESS.setLevel(logging.INFO)

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _access_line(response):
        from flask_login import current_user

        started = g.get("request_started", time.perf_counter())
        login = current_user.login if current_user and current_user.is_authenticated else "-"
        ACCESS.info("%s %s %s %d %.1fms %s", request.remote_addr, request.method,
                    request.path[:200], response.status_code,
                    (time.perf_counter() - started) * 1000, login)
        return response
