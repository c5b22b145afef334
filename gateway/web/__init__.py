"""What the resident's browser talks to: the layer's one face.

`pages` (the views) call one builder each in `builders`, which choose the
parameters (`params`) and read the billing layer; `auth` is login, the
forced password change and logout; `second_factor` the login's optional
second step and the Bezpieczeństwo page (factor, sessions, last logins);
`security` the headers, CSRF and the `next` guard; `errors` the one error
renderer; `templating`, `formats` and `links` what the templates use.
"""

from flask import Flask

from .templating import PortalFlask


def init_app(app: Flask) -> None:
    """Bind the web layer to `app`: security first (its headers go on every answer)."""
    from . import (
        auth,
        errors,
        exports,
        formats,
        links,
        pages,
        second_factor,
        security,
        statements,
        summary,
        templating,
    )

    security.init_app(app)
    auth.init_app(app)
    second_factor.init_app(app)
    formats.init_app(app)
    links.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(summary.bp)
    app.jinja_env.globals["exclusion_text"] = statements.EXCLUSION_NOTICE


__all__ = ["PortalFlask", "init_app"]
