"""`gateway serve`: waitress with the [server] settings, after start-up checks."""

from __future__ import annotations

import logging

from flask import Flask

from .billing import BillingUnavailable
from .config import ConfigError, check_secret_key

log = logging.getLogger("gateway.server")


def preflight(app: Flask) -> None:
    """Refuse to start on a default key, missing folders, or an unreachable database."""
    check_secret_key(app.config["SECRET_KEY"] if not app.config.get("_GENERATED_KEY")
                     else "")
    for key, what in (("PORTAL_QUERIES_DIR", "queries"), ("PORTAL_TEMPLATES_DIR", "templates")):
        if not app.config[key].is_dir():
            raise ConfigError(f"portal.{what}_dir: folder not found: {app.config[key]}")
    try:
        app.extensions["billing"].ping()
    except BillingUnavailable as exc:
        raise ConfigError(f"billing.connection: cannot open the billing database: "
                          f"{str(exc).splitlines()[0][:200]}") from None
    finally:
        app.extensions["billing"].discard()


def waitress_options(app: Flask) -> dict:
    cfg = app.config
    options = dict(
        host=cfg["SERVER_HOST"], port=cfg["SERVER_PORT"], threads=cfg["SERVER_THREADS"],
        connection_limit=cfg["SERVER_CONNECTION_LIMIT"],
        channel_timeout=cfg["SERVER_CHANNEL_TIMEOUT"],
        max_request_body_size=cfg["SERVER_MAX_REQUEST_BODY"],
        url_scheme=cfg["SERVER_URL_SCHEME"], ident="",  # no Server version header
        clear_untrusted_proxy_headers=True,
    )
    if cfg["SERVER_TRUSTED_PROXY"]:
        options.update(trusted_proxy=cfg["SERVER_TRUSTED_PROXY"],
                       trusted_proxy_headers=cfg["SERVER_TRUSTED_PROXY_HEADERS"],
                       trusted_proxy_count=1)
    return options


def serve(app: Flask) -> None:
    import waitress

    preflight(app)
    options = waitress_options(app)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    log.info("serving on http://%s:%s", options["host"], options["port"])
    print(f"Portal działa: http://{options['host']}:{options['port']}/  (Ctrl+C kończy)",
          flush=True)
    waitress.serve(app, **options)
