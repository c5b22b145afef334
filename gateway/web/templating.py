"""The portal's Flask class, whose Jinja environment looks into rows first
(gateway/internals.py), and the template helpers that build HTML in Python."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from markupsafe import Markup, escape

from ..internals import RowsFirstEnvironment


class PortalFlask(Flask):
    jinja_environment = RowsFirstEnvironment


def option_tags(options: Iterable[Any], selected: Any,
                text_of: Callable[[Any], Any] | None = None) -> Markup:
    """The <option> elements of a select box, the chosen one marked.

    `options` are plain values (shown as they are, or through `text_of`) or
    (value, text) pairs. Built here rather than in a template loop: the year and
    month lists were a tenth of a page's rendering.
    """
    parts = []
    for option in options:
        if isinstance(option, tuple):
            value, text = option
        else:
            value, text = option, text_of(option) if text_of else option
        mark = " selected" if value == selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(text)}</option>')
    # Every value and text above is escaped.
    return Markup("\n    ".join(parts))  # noqa: S704  # nosec B704


def regno(text: str, register_no: str | None = None) -> Markup:
    """`text` with the premises number (`01-/0001`) in a span that never breaks at its
    hyphen; the number alone when `register_no` is not given."""
    number = register_no if register_no is not None else text
    if not number or number not in text:
        return escape(text)
    before, _, after = text.partition(number)
    # Every part is escaped; only the span is markup.
    return Markup(f'{escape(before)}<span class="regno">{escape(number)}</span>'  # noqa: S704  # nosec B704
                  f'{escape(after)}')


def init_app(app: Flask) -> None:
    from ..billing import person_name, premises_address
    from .formats import month_name

    app.jinja_env.globals.update(option_tags=option_tags, month_name=month_name)
    # One way to name a person and a premises, on every page as in the CLI.
    app.jinja_env.filters.update(person_name=person_name, address=premises_address,
                                 regno=regno)
