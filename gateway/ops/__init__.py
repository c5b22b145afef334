"""Serving and operating the portal: the layer's one face.

`server` runs waitress (with the channel of gateway/internals.py) and checks the
settings before it starts; `logs` and `logfiles` write portal.log and
access.log; `health` answers /healthz and /readyz; `checks` is `gateway
check`, the admin's test of every query.
"""

from flask import Flask

from .checks import run_checks
from .health import bp as health_bp
from .logs import close_files, incident_id, redact
from .logs import init_app as init_logging
from .server import create_waitress, listening, make_server, preflight, serve, waitress_options


def init_app(app: Flask) -> None:
    """Logging (called first: everything after it may log) and the health endpoints."""
    init_logging(app)
    app.register_blueprint(health_bp)


__all__ = [
    "close_files", "create_waitress", "health_bp", "incident_id", "init_app", "init_logging",
    "listening", "make_server", "preflight", "redact", "run_checks", "serve",
    "waitress_options",
]
