"""Health endpoints for the IT admin's monitoring and the reverse proxy.

`/healthz` answers 200 while the process serves requests; it touches no
database, so it says "restart me" only when the process itself is stuck.
`/readyz` answers 200 when the billing database and the accounts store both
answer, else 503 with which one failed: "unavailable" (refused, missing) or
"timeout" (no answer within READY_TIMEOUT seconds). Each check runs in its own
thread on a new connection with short timeouts, so the endpoint answers in
about READY_TIMEOUT seconds even when a driver ignores its own timeout; while
an earlier check still hangs, the next one reports "timeout" at once instead
of piling up threads. Details go to portal.log (on a change of state only),
never into the response.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify

from .. import store

bp = Blueprint("ops", __name__)
log = logging.getLogger("gateway.ops")

READY_TIMEOUT = 3.0  # seconds, for each check (they run in parallel)


class Check:
    """One readiness check with at most one run in flight."""

    def __init__(self, name: str):
        self.name = name
        self.lock = threading.Lock()
        self.last_state = "ok"

    def start(self, func: Callable[[], None]) -> tuple[threading.Thread | None, dict]:
        result: dict[str, Any] = {}
        if not self.lock.acquire(blocking=False):
            result.update(state="timeout", error="the previous check has not finished")
            return None, result

        def run() -> None:
            try:
                func()
                result["state"] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure means not ready
                result.update(state="unavailable", error=str(exc).splitlines()[0][:300]
                              if str(exc) else type(exc).__name__)
            finally:
                self.lock.release()

        thread = threading.Thread(target=run, name=f"readyz-{self.name}", daemon=True)
        thread.start()
        return thread, result

    def report(self, result: dict) -> str:
        state = result.get("state", "timeout")
        if state != "ok" and "error" not in result:
            result["error"] = "no answer in time"
        if state != self.last_state:
            if state == "ok":
                log.info("readiness: %s is back", self.name)
            else:
                log.warning("readiness: %s %s: %s", self.name, state, result["error"])
            self.last_state = state
        return state


@bp.record_once
def _setup(state) -> None:
    state.app.extensions["ops_checks"] = {"billing": Check("billing"), "store": Check("store")}


@bp.get("/healthz")
def healthz():
    """The process answers; touches no database."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Billing database and accounts store both reachable, within READY_TIMEOUT."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    timeout = float(app.config.get("READY_TIMEOUT", READY_TIMEOUT))
    checks: dict[str, Check] = app.extensions["ops_checks"]
    billing = app.extensions["billing"]
    store_path = app.config["STORE_PATH"]
    funcs: dict[str, Callable[[], None]] = {
        "billing": lambda: billing.probe(timeout),
        "store": lambda: store.ping(store_path, timeout),
    }
    started = {name: checks[name].start(func) for name, func in funcs.items()}
    deadline = time.monotonic() + timeout + 0.5
    states = {}
    for name, (thread, result) in started.items():
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        states[name] = checks[name].report(dict(result) if thread is None
                                           or not thread.is_alive() else {})
    ready = all(v == "ok" for v in states.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=states)
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = "30"
    return response
