"""What every staff command shares: the config, one-line errors, the app context.

Imports nothing else of the CLI, so the command modules can all use it.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask

from .. import create_app
from ..billing import BillingUnavailable, QueryError
from ..config import ConfigError, config_path
from ..store import AccountError

EXIT_USAGE = 2


class Context:
    def __init__(self, config: str | None):
        self.config = config
        self._app: Flask | None = None

    @property
    def path(self) -> Path:
        return config_path(self.config)

    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app(self.config)
        return self._app


def fail(message: str, code: int = 1) -> None:
    click.echo(f"błąd: {message}", err=True)
    sys.exit(code)


def clean_errors(func: Callable) -> Callable:
    """Turn expected errors into one line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, QueryError) as exc:
            fail(str(exc), EXIT_USAGE)
        except AccountError as exc:
            fail(str(exc), 1)
        except BillingUnavailable as exc:
            detail = " ".join(str(exc).split())  # driver texts span lines
            fail(f"baza rozliczeniowa niedostępna ({exc.kind}): {detail}", 3)

    return wrapper


def _obj():
    return click.get_current_context().find_object(Context)


def staff_command(func: Callable[..., None]) -> Callable[..., None]:
    """Run a command in the app context; expected errors become one line and an exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        @clean_errors
        def run() -> None:
            with _obj().app().app_context():
                func(*args, **kwargs)

        run()

    return wrapper
