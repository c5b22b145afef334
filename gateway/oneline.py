"""One event, one line: control characters in values that reach a log or the audit table.

A CR or LF in a login, a browser's User-Agent or a path would otherwise start a
forged line in portal.log (a fake `audit login_ok`). Every C0/C1 control
character, the Unicode line and paragraph separators and the invisible format
characters (bidirectional overrides that reorder what an admin reads) are written
as `\\xNN` / `\\uNNNN`; a backslash is doubled, so an escaped value cannot be
mistaken for an escape either. Used by the store's audit and the log handlers,
so it sits below both layers.
"""

from __future__ import annotations

import unicodedata

_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def unsafe(ch: str) -> bool:
    return unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _escape(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(value: object) -> str:
    """`value` as text that can never start another line (or hide part of itself)."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and "\\" not in text:
        return text  # the common case: nothing to do
    return "".join(_escape(ch) if ch == "\\" or unsafe(ch) else ch for ch in text)


def has_control(text: str) -> bool:
    """Whether a typed value holds a character no person types (for form checks)."""
    return any(unsafe(ch) for ch in text)
