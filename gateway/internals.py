"""Every override of a library's internals, fenced in one place.

Each is a speed-up or a fix that reaches below a library's public API, so a
new release may break it silently: setup.cfg bounds these libraries' versions,
and tests/test_internals.py has one test per override that fails when the
library under it changes. What each one bought is measured in bench/RESULTS.md
and the git history, not here.

1. Jinja2 — `RowsFirstEnvironment.getattr`: compiled templates call
   `environment.getattr(obj, name)` for `obj.name`; billing rows are dicts, so
   the key is tried first instead of after an AttributeError.
2. waitress — `PortalChannel.writable` reads `HTTPChannel`'s `requests`,
   `total_outbufs_len`, `will_close`, `close_when_flushed` and `outbuf_lock`;
   `use_portal_channels` sets `BaseWSGIServer.channel_class`.
3. flask-login — `PortalLoginManager._session_protection_failed` (private)
   returns False: sessions are server-side and revoked explicitly.
4. flask-wtf — `gateway/web/security.py csrf_token()` relies on
   `generate_csrf()` keeping the raw token in `session[WTF_CSRF_FIELD_NAME]`
   and the signed one in `g`; it reuses the signed token (kept there, next to
   the CSRF code it belongs to; tested here).
5. waitress — the `waitress.queue` logger (`gateway/ops/server.py`) is where
   waitress writes its per-request "Task queue depth" warning.
6. logging (stdlib) — `PortalFileHandler._open` (`gateway/ops/logfiles.py`)
   extends `RotatingFileHandler._open`.
7. waitress — `PortalErrorTask` (`HTTPChannel.error_task_class`) extends
   `ErrorTask.execute`: waitress's own answers (413 body too large, 431 headers
   too large, 400 malformed) carry the portal's security headers and Polish text.
"""

from __future__ import annotations

from typing import Any

from flask.templating import Environment
from flask_login import LoginManager
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer
from waitress.task import ErrorTask

# ---- 1. Jinja2: rows are dicts, look the key up first ---------------------------------

class RowsFirstEnvironment(Environment):
    """Billing rows reach the templates as plain dicts (`c.amount`); Jinja's `getattr`
    tries the attribute first and the key only after an AttributeError. Here a dict's
    key is tried first. (A column named like a dict method, `items` or `keys`, would
    hide that method in templates: the query loader refuses such column names.)"""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


# ---- 2. waitress: no spinning main loop while a worker sends ---------------------------
class PortalErrorTask(ErrorTask):
    """waitress's own error answer with the portal's headers and a Polish line."""

    headers: tuple[tuple[str, str], ...] = ()  # set by use_portal_channels

    def execute(self) -> None:
        status_code = getattr(self.request.error, "code", 400)
        body = (f"Błąd {status_code}: żądanie jest za duże lub nieprawidłowe. Wróć do "
                "portalu i spróbuj ponownie.\n").encode()
        self.status = f"{status_code} {getattr(self.request.error, 'reason', 'Bad Request')}"
        self.response_headers.extend([("Content-Type", "text/plain; charset=utf-8"),
                                      *self.headers])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class PortalChannel(HTTPChannel):
    """waitress's HTTP channel, without its main loop spinning while a worker sends.

    A worker thread writes its response with the channel's out-buffer lock held,
    sending as it goes. Meanwhile waitress's main loop saw the channel "writable"
    (data in the buffer), found the socket ready, failed to take the lock, and
    polled again at once, holding the interpreter lock the workers need to finish.
    Here a channel whose buffer lock is held by its worker is not writable: the
    main loop sleeps in poll() instead. Nothing is left behind: a worker that
    cannot send all it has pulls waitress's trigger (`write_soon`), and so does
    every finished task (`service`), and the loop then asks again.
    """

    def writable(self) -> bool:
        if self.requests and self.total_outbufs_len and not (
                self.will_close or self.close_when_flushed):
            lock = self.outbuf_lock
            if not lock.acquire(False):
                return False  # its worker is sending right now
            lock.release()
        return super().writable()


def use_portal_channels(socket_map: dict,
                        error_headers: tuple[tuple[str, str], ...] = ()) -> None:
    """Make every waitress server in `socket_map` accept connections as PortalChannel
    (its own error answers with `error_headers`)."""
    PortalErrorTask.headers = tuple(error_headers)
    PortalChannel.error_task_class = PortalErrorTask
    for dispatcher in list(socket_map.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = PortalChannel


# ---- 3. flask-login: no session-protection hashing -------------------------------------

class PortalLoginManager(LoginManager):
    def _session_protection_failed(self) -> bool:
        # Sessions are server-side and revoked explicitly (logout, reset, lock), so
        # flask-login's protection is off; its check still hashed the client's
        # address and browser on every request before finding that out.
        return False
