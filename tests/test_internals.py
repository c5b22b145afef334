"""One test per override of a library's internals (gateway/internals.py lists them).

Each fails when the library under the override changes the thing relied on, so a
version bump in setup.cfg is caught here rather than by a slow or broken portal.
"""

from __future__ import annotations

import inspect
import logging

from flask import Flask, g, session

from gateway import internals


def test_1_jinja_compiles_attribute_access_to_environment_getattr():
    env = internals.RowsFirstEnvironment(Flask(__name__))
    code = env.compile("{{ row.amount }}", raw=True)
    assert "environment.getattr(" in code  # else the override is never called
    row = {"amount": 5, "items": "a column named like a dict method"}
    assert env.from_string("{{ row.amount }}|{{ row.items }}").render(row=row) == \
        "5|a column named like a dict method"
    assert list(inspect.signature(internals.Environment.getattr).parameters) == \
        ["self", "obj", "attribute"]


def test_2_waitress_channel_has_the_state_the_portal_channel_reads():
    from waitress.channel import HTTPChannel
    from waitress.server import BaseWSGIServer

    source = inspect.getsource(HTTPChannel)
    for name in ("self.requests", "self.total_outbufs_len", "self.will_close",
                 "self.close_when_flushed", "self.outbuf_lock"):
        assert name in source, name
    assert "def writable(self)" in source
    assert "channel_class" in inspect.getsource(BaseWSGIServer)
    from waitress import wasyncore

    assert ".writable()" in inspect.getsource(wasyncore)  # the loop asks each channel


def test_3_flask_login_still_asks_session_protection_failed():
    from flask_login import LoginManager

    assert hasattr(LoginManager, "_session_protection_failed")
    assert "_session_protection_failed" in inspect.getsource(LoginManager._load_user)
    assert internals.PortalLoginManager()._session_protection_failed() is False


def test_4_flask_wtf_keeps_the_raw_token_in_the_session_and_the_signed_one_on_g():
    from flask_wtf.csrf import generate_csrf

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    with app.test_request_context("/"):
        token = generate_csrf()
        field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        assert session.get(field)  # the raw token the portal's reuse is keyed by
        assert getattr(g, field) == token  # the signed token forms in this request use


def test_5_waitress_writes_queue_depth_warnings_to_the_waitress_queue_logger():
    from waitress import task

    assert task.ThreadedTaskDispatcher.queue_logger is logging.getLogger("waitress.queue")


def test_6_rotating_file_handler_opens_its_stream_in_open(tmp_path):
    from logging.handlers import RotatingFileHandler

    handler = RotatingFileHandler(tmp_path / "x.log", delay=True)
    try:
        assert handler.stream is None
        stream = handler._open()
        assert not stream.closed
        stream.close()
    finally:
        handler.close()
