"""Values from any billing-database driver, made alike: Decimal, date, str, int.

Drivers disagree (SQLite gives REAL floats or DECIMAL text, psqlODBC Decimal,
some drivers padded CHAR): every row passes through `convert` with the type
the query's header promises, so pages see the same values from every server.
Pure functions, no driver: the driver stays in billing.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any


def to_decimal(value: Any, places: int) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        value = repr(value)  # shortest text that round-trips, never binary noise
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    return number.quantize(_quantum(places))


@lru_cache(maxsize=16)
def _quantum(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def to_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def to_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8")
    return str(value).rstrip()  # CHAR(n) pads on some servers


def to_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, float):
        return int(value)
    return int(str(value).strip()) if not isinstance(value, int) else value


@lru_cache(maxsize=32)
def converter(column_type: str) -> Callable[[Any], Any]:
    """The function `convert` applies for a column type (looked up once per query)."""
    if column_type == "text":
        return to_text
    if column_type == "int":
        return to_int
    if column_type == "date":
        return to_date
    places = int(column_type.split(":")[1])
    return lambda value: to_decimal(value, places)


def bind_value(value: Any, dialect_is_sqlite: bool) -> Any:
    # sqlite3 stores dates as ISO text; binding text keeps comparisons textual.
    if dialect_is_sqlite and isinstance(value, date):
        return value.isoformat()
    if dialect_is_sqlite and isinstance(value, Decimal):
        return str(value)
    return value
