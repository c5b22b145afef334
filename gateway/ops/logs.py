"""Logging: application and access logs to rotating files, one line per request.

`portal.log` (logger `gateway` and waitress) holds the application's messages:
start and stop, billing-database trouble, every unhandled error with its
traceback and the incident id shown on the error page. `access.log` holds one
line per request:

    2026-01-05 10:12:01,123 INFO gateway.access 10.0.0.7 GET /czynsz 200 35.2ms m1234-kq7m

address, method, path, status, time and login ("-" when nobody is logged
in), plus `incident=ID` when the request ended on an error page. The query
string is never written (it names premises, accounts and periods), nor any
form field, so no password reaches a log. Connection-string passwords
(`PWD=...`) in any message are masked as a second line of defence.

Both files rotate by size (logging.max_bytes, logging.backups). On Windows a
file that another process holds open (the service and a staff command both
write portal.log) cannot be renamed; rotation is then retried at the next
message instead of failing.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, g, has_request_context, request

from ..oneline import one_line
from .logfiles import PortalFileHandler

ACCESS = logging.getLogger("gateway.access")
APP = logging.getLogger("gateway")
WAITRESS = logging.getLogger("waitress")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
PATH_SAFE = "/-._~!$&'()*+,;=:@"  # kept as is; spaces, controls, non-ASCII get %-encoded
SECRET_RE = re.compile(r"(?i)\b(pwd|password|passwd)(\s*=\s*)(\{[^}]*\}|[^;\s]*)")


def incident_id() -> str:
    """Short id shown on error pages and written to the log, so staff can find it.

    Inside a request it is also remembered, so the access line carries it.
    """
    incident = uuid.uuid4().hex[:10]
    if has_request_context():
        g.incident = incident
    return incident


def redact(text: str) -> str:
    """Mask passwords of connection strings (`PWD=...;`) in a log message."""
    return SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class OneLine(logging.Filter):
    """One event, one line: control characters in the message are escaped (a
    traceback, added by the formatter after this, keeps its own lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "portal_one_line", False):
            return True  # escaped by another handler's filter already
        message = record.getMessage()
        safe = one_line(message)
        if safe != message:
            record.msg, record.args = safe, None
        record.portal_one_line = True
        return True


def _handler(path: Path, cfg: Any) -> logging.Handler:
    handler = PortalFileHandler(path, maxBytes=cfg["LOGGING_MAX_BYTES"],
                                backupCount=cfg["LOGGING_BACKUPS"], encoding="utf-8",
                                delay=True)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets())
    handler.addFilter(OneLine())
    return handler


def close_files() -> None:
    """Detach and close the log files (a new app with another folder, tests)."""
    for logger in (APP, ACCESS, WAITRESS):
        for handler in list(logger.handlers):
            if isinstance(handler, PortalFileHandler):
                logger.removeHandler(handler)
                handler.close()
    APP.__dict__.pop("_portal_log_dir", None)


def _open_files(cfg: Any) -> None:
    from ..config import ConfigError

    log_dir: Path = cfg["LOGGING_DIR"]
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"logging.dir: cannot create {log_dir}: {exc.strerror}") from None
    marker = str(log_dir.resolve())
    if getattr(APP, "_portal_log_dir", None) == marker:
        return
    close_files()
    portal = _handler(log_dir / "portal.log", cfg)
    APP.addHandler(portal)
    WAITRESS.addHandler(portal)  # waitress's own errors and warnings, same file
    if WAITRESS.level == logging.NOTSET:
        WAITRESS.setLevel(logging.INFO)
    ACCESS.addHandler(_handler(log_dir / "access.log", cfg))
    ACCESS.propagate = False
    APP._portal_log_dir = marker  # type: ignore[attr-defined]


def _current_login() -> str:
    try:
        # flask-login keeps the request's user on g; every request has loaded it
        # by now (auth's before_request), so this costs no store query.
        user = g.get("_login_user")
        if user is None and "_login_user" not in g:
            from flask_login import current_user

            user = current_user
        if user is not None and user.is_authenticated:
            return one_line(user.login)
    except Exception:  # noqa: BLE001 - the access line must never fail a request
        return "-"
    return "-"


def access_line(status: int) -> str:
    """The access-log message for the current request (no query string, no form)."""
    started = g.get("request_started", time.perf_counter())
    path = quote(request.path[:200], safe=PATH_SAFE)
    line = (f"{request.remote_addr or '-'} {request.method} {path} {status} "
            f"{(time.perf_counter() - started) * 1000:.1f}ms {_current_login()}")
    incident = g.get("incident")
    if incident:
        line += f" incident={incident}"
    return line


def write_access(line: str) -> None:
    """One access line: to access.log's writer thread when that is its only destination.

    The same text as `ACCESS.info(line)` with the default format, without the
    logging call chain (record, filters, two formattings: a fifth of a small
    request) and without the request waiting for the file (see logfiles.py).
    Any other set-up (tests, a handler added by someone) goes through logging.
    """
    line = one_line(line)  # the fast path below skips the handler's filters
    handlers = ACCESS.handlers
    if (len(handlers) == 1 and type(handlers[0]) is PortalFileHandler
            and ACCESS.isEnabledFor(logging.INFO)):
        if "=" in line:
            line = redact(line)
        handlers[0].write_later(f"INFO {ACCESS.name} {line}")
        return
    ACCESS.info("%s", line)


def init_app(app: Flask) -> None:
    cfg = app.config
    level = getattr(logging, cfg["LOGGING_LEVEL"].upper())
    APP.setLevel(level)
    if not cfg.get("TESTING"):
        _open_files(cfg)
    ACCESS.setLevel(logging.INFO)

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _access(response):
        write_access(access_line(response.status_code))
        return response
