"""`gateway serve`: waitress with the [server] settings, after start-up checks.

Refuses to start, with one line naming the setting, when the secret key is
missing or a default, a folder (queries, templates) is missing, a [server]
value cannot work (proxy headers, connection limit on Windows), the billing
database cannot be opened at all, or the address is taken. Ctrl+C (or the
service wrapper's stop) ends it cleanly.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import sys
from typing import Any

from flask import Flask

from ..billing import BillingUnavailable
from ..config import ConfigError, check_secret_key

log = logging.getLogger("gateway.server")

PROXY_HEADERS = {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host",
                 "x-forwarded-port", "x-forwarded-by", "forwarded"}
# CPython's select() on Windows takes at most 512 sockets; waitress needs a few itself.
WINDOWS_MAX_CONNECTIONS = 500


def preflight(app: Flask) -> None:
    """Refuse to start on a default key, missing folders, or an unreachable database."""
    cfg = app.config
    check_secret_key("" if cfg.get("_GENERATED_KEY") else cfg["SECRET_KEY"])
    folder = cfg["PORTAL_QUERIES_DIR"]
    if not folder.is_dir():
        raise ConfigError(f"portal.queries_dir: folder not found: {folder}")
    folder = cfg["PORTAL_TEMPLATES_DIR"]
    if not folder.is_dir():
        raise ConfigError(f"portal.templates_dir: folder not found: {folder}")
    if not (folder / "base.html").is_file():
        raise ConfigError(f"portal.templates_dir: {folder} holds no base.html "
                          "(point it at the portal's templates folder)")
    waitress_options(app)  # validates [server]
    _warn_about_scheme(cfg)
    billing = app.extensions["billing"]
    try:
        billing.ping()
    except BillingUnavailable as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else exc.kind
        raise ConfigError(f"billing.connection: cannot open the billing database: "
                          f"{reason}") from None
    finally:
        billing.discard()


def _proxy_headers(raw: str) -> set[str]:
    headers = {h.strip().lower() for h in raw.replace(",", " ").split() if h.strip()}
    unknown = headers - PROXY_HEADERS
    if unknown:
        raise ConfigError(f"server.trusted_proxy_headers: unknown header(s) "
                          f"{', '.join(sorted(unknown))}; expected some of: "
                          f"{', '.join(sorted(PROXY_HEADERS))}")
    if "forwarded" in headers and len(headers) > 1:
        raise ConfigError("server.trusted_proxy_headers: 'forwarded' cannot be combined "
                          "with x-forwarded-* headers")
    if not headers:
        raise ConfigError("server.trusted_proxy_headers: empty while server.trusted_proxy "
                          "is set (usually: x-forwarded-for x-forwarded-proto)")
    return headers


def waitress_options(app: Flask) -> dict[str, Any]:
    """waitress.create_server keyword arguments from [server]; ConfigError if unusable."""
    cfg = app.config
    limit = cfg["SERVER_CONNECTION_LIMIT"]
    if sys.platform == "win32" and limit > WINDOWS_MAX_CONNECTIONS:
        raise ConfigError(f"server.connection_limit: at most {WINDOWS_MAX_CONNECTIONS} on "
                          f"Windows (select() limit), got {limit}")
    options: dict[str, Any] = dict(
        host=cfg["SERVER_HOST"], port=cfg["SERVER_PORT"], threads=cfg["SERVER_THREADS"],
        connection_limit=limit,
        channel_timeout=cfg["SERVER_CHANNEL_TIMEOUT"],
        # Larger than the app's own limit (MAX_CONTENT_LENGTH), so an oversized form
        # gets the portal's Polish 413 page with its headers, not waitress's text.
        max_request_body_size=max(2 * 1024 * 1024, 2 * cfg["SERVER_MAX_REQUEST_BODY"]),
        url_scheme=cfg["SERVER_URL_SCHEME"],
        ident="",  # no Server header naming the software
        clear_untrusted_proxy_headers=True,
        asyncore_use_poll=True,  # poll() where the OS has it (no 1024-socket limit)
    )
    proxy = cfg["SERVER_TRUSTED_PROXY"].strip()
    if proxy:
        if proxy != "*":
            try:
                ipaddress.ip_address(proxy)
            except ValueError:
                raise ConfigError(f"server.trusted_proxy: {proxy!r} is not an IP address "
                                  "(the proxy's address as the portal sees it, "
                                  "e.g. 127.0.0.1)") from None
        options.update(trusted_proxy=proxy,
                       trusted_proxy_headers=_proxy_headers(cfg["SERVER_TRUSTED_PROXY_HEADERS"]),
                       trusted_proxy_count=1)
    return options


def _warn_about_scheme(cfg: Any) -> None:
    """portal.https without a way to learn the scheme gives http links: say so."""
    proxied_proto = cfg["SERVER_TRUSTED_PROXY"] and (
        {"x-forwarded-proto", "forwarded"} & _proxy_headers(cfg["SERVER_TRUSTED_PROXY_HEADERS"]))
    if cfg["PORTAL_HTTPS"] and cfg["SERVER_URL_SCHEME"] != "https" and not proxied_proto:
        log.warning("portal.https is true but no trusted proxy sends X-Forwarded-Proto and "
                    "server.url_scheme is http: set server.trusted_proxy (and its headers) "
                    "or server.url_scheme = https")


# How long a Python thread may hold the interpreter lock while others wait for it
# (CPython's default is 5 ms). A worker back from the billing database or a socket
# then waits less behind one that is rendering a page (measured: bench/RESULTS.md).
SWITCH_INTERVAL = 0.001


def tune_interpreter() -> None:
    """Process-wide settings for serving (also used by the benchmark's hello world)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


def create_waitress(app: Any, options: dict[str, Any]):
    """A waitress server for any WSGI `app` set up as the portal's: its channel
    (gateway/channel.py) and interpreter settings. Raises waitress's errors."""
    from waitress.server import create_server

    from ..internals import use_portal_channels

    tune_interpreter()
    socket_map: dict = {}
    server = create_server(app, map=socket_map, **options)
    # waitress's own 400/413/431 answers: the portal's security headers (web.security).
    extensions = getattr(app, "extensions", {})
    use_portal_channels(socket_map, extensions.get("portal_error_headers", ()))
    return server


def make_server(app: Flask, **overrides: Any):
    """The waitress server, bound and listening (not yet serving)."""
    options = {**waitress_options(app), **overrides}
    try:
        return create_waitress(app, options)
    except OSError as exc:
        raise ConfigError(f"server.port: cannot listen on {options['host']}:{options['port']}: "
                          f"{exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"server.host: {options['host']!r}: {exc}") from None


def serve(app: Flask) -> None:
    try:
        preflight(app)
        server = make_server(app)
    except ConfigError as exc:
        log.error("refusing to start: %s", exc)  # also in portal.log for the admin
        raise
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    urls = " ".join(f"http://{host}:{port}/" for host, port in listening(server))
    log.info("serving on %s (threads=%s, connection_limit=%s, trusted_proxy=%s)",
             urls, app.config["SERVER_THREADS"], app.config["SERVER_CONNECTION_LIMIT"],
             app.config["SERVER_TRUSTED_PROXY"] or "-")
    _say(f"Portal działa: {urls}  (Ctrl+C kończy)")
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run()  # returns on Ctrl+C (waitress also catches KeyboardInterrupt)
    finally:
        server.close()
        log.info("stopped")


def listening(server: Any) -> list[tuple[str, int]]:
    """(host, port) of every socket the server listens on."""
    if hasattr(server, "effective_listen"):  # several sockets (e.g. IPv4 and IPv6)
        return [(str(h), int(p)) for h, p in server.effective_listen]
    return [(str(server.effective_host), int(server.effective_port))]


def _say(text: str) -> None:
    """Print even where the console cannot show Polish letters."""
    try:
        print(text, flush=True)
    except UnicodeEncodeError:
        print(text.encode("ascii", "replace").decode("ascii"), flush=True)
