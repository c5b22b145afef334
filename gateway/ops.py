"""Health endpoints for the IT admin's monitoring and the reverse proxy."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .billing import BillingUnavailable
from .store import get_store

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers; touches no database."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Billing database and accounts store both reachable."""
    checks = {}
    try:
        current_app.extensions["billing"].ping()
        checks["billing"] = "ok"
    except BillingUnavailable:
        checks["billing"] = "unavailable"
    try:
        get_store().execute("SELECT 1 FROM accounts LIMIT 1").fetchall()
        checks["store"] = "ok"
    except Exception:  # noqa: BLE001 - any store failure means not ready
        checks["store"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = "30"
    return response
