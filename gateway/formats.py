"""Polish formats for templates: money `1 234,56 zł`, dates `dd.mm.rrrr`, NRB in fours.

babel does the number and date formats (grouping with a no-break space, decimal
comma, Polish month names), so no locale of the host OS is needed (Windows).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import NumberPattern, parse_pattern
from flask import Flask

# Parsed once: parsing the locale and pattern on every call was a fifth of a page's time.
LOCALE = Locale.parse("pl_PL")
MONTHS = ("styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień",
          "wrzesień", "październik", "listopad", "grudzień")


@lru_cache(maxsize=8)
def _pattern(places: int) -> NumberPattern:
    return parse_pattern("#,##0." + "0" * places if places else "#,##0")


def money(value: Decimal | None, currency: bool = True) -> str:
    if value is None:
        return "—"
    text = _pattern(2).apply(value, LOCALE)
    text = text.replace("-", "−")  # a real minus sign: harder to miss
    return f"{text}\u00a0zł" if currency else text


def number(value: Decimal | None, places: int = 3) -> str:
    if value is None:
        return "—"
    return _pattern(places).apply(value, LOCALE).replace("-", "−")


def rate(value: Decimal | None) -> str:
    """A rate with two decimals, or up to four when the grosze have fractions."""
    if value is None:
        return "—"
    places = 2 if value == value.quantize(Decimal("0.01")) else 4
    return number(value.normalize() if places == 4 else value, places)


def day(value: date | None) -> str:
    return format_date(value, "dd.MM.yyyy", locale=LOCALE) if value else "—"


def moment(value: datetime | None) -> str:
    return format_datetime(value, "dd.MM.yyyy, HH:mm:ss", locale=LOCALE) if value else "—"


def month_name(month: int) -> str:
    return MONTHS[month - 1]


def nrb(value: str | None) -> str:
    """'12 3456 7890 …': two check digits, then groups of four."""
    if not value:
        return "—"
    digits = "".join(ch for ch in value if ch.isdigit())
    return " ".join([digits[:2]] + [digits[i:i + 4] for i in range(2, len(digits), 4)])


def unit(value: str | None) -> str:
    """Legacy ASCII units as people write them: m2 → m², m3 → m³."""
    return {"m2": "m²", "m3": "m³"}.get(value or "", value or "")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, number=number, day=day, moment=moment,
                                 month_name=month_name, nrb=nrb, unit=unit, rate=rate)
