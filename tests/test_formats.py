"""Polish formats: money, dates, NRB grouping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gateway.web.formats import day, money, nrb, number, unit

NBSP = "\u00a0"


def test_money_is_polish_with_grouping_and_a_real_minus():
    assert money(Decimal("1234.56")) == f"1{NBSP}234,56{NBSP}zł"
    assert money(Decimal("-1234.5")) == f"−1{NBSP}234,50{NBSP}zł"
    assert money(Decimal("0")) == f"0,00{NBSP}zł"
    assert money(None) == "—"


def test_money_keeps_every_grosz_of_large_amounts():
    assert money(Decimal("12345678.91")) == f"12{NBSP}345{NBSP}678,91{NBSP}zł"


def test_dates_are_dd_mm_yyyy():
    assert day(date(2024, 3, 5)) == "05.03.2024"
    assert day(None) == "—"


def test_quantities_use_a_decimal_comma():
    assert number(Decimal("12.345")) == "12,345"
    assert number(Decimal("12.3"), 2) == "12,30"


def test_nrb_is_grouped_in_fours_after_the_check_digits():
    assert nrb("61109010140000071219812874") == "61 1090 1014 0000 0712 1981 2874"


def test_units_are_written_with_superscripts():
    assert unit("m2") == "m²" and unit("m3") == "m³" and unit("os.") == "os."


def test_rates_show_fractions_of_a_grosz_only_when_there_are_some():
    from gateway.web.formats import rate

    assert rate(Decimal("2.7000")) == "2,70"
    assert rate(Decimal("0.3725")) == "0,3725"


# babel is the reference for the CLDR Polish rules; formats.py writes them out
# by hand for speed, so every case must come out exactly as babel writes it.
def _babel_number(value: Decimal, places: int) -> str:
    from babel import Locale
    from babel.numbers import parse_pattern

    pattern = parse_pattern("#,##0." + "0" * places if places else "#,##0")
    return pattern.apply(value, Locale.parse("pl_PL")).replace("-", "−")


def _samples() -> list[Decimal]:
    import random

    rng = random.Random(7)
    values = [Decimal(v) for v in ("0", "-0", "0.005", "0.015", "0.025", "-0.005", "-0.001",
                                   "999.995", "999.994", "1000", "-1000", "123456789012.345",
                                   "0.0001", "12.3", "1E+3", "5E-7", "-2.5", "3.5")]
    for _ in range(3000):
        digits = rng.randint(0, 12)
        places = rng.randint(0, 6)
        value = Decimal(rng.randint(-10 ** digits, 10 ** digits)).scaleb(-places)
        values.append(value)
    return values


def test_numbers_and_money_match_babels_polish_format_exactly():
    for value in _samples():
        for places in (0, 2, 3, 4):
            assert number(value, places) == _babel_number(value, places), (value, places)
        assert money(value) == _babel_number(value, 2) + f"{NBSP}zł", value
        assert money(value, currency=False) == _babel_number(value, 2), value


def test_dates_and_moments_match_babels_polish_format_exactly():
    from datetime import datetime, timedelta

    from babel.dates import format_date, format_datetime

    from gateway.web.formats import moment

    start = datetime(1999, 12, 31, 23, 59, 58)
    for step in range(0, 400 * 24 * 3600, 7919 * 7):
        when = start + timedelta(seconds=step)
        assert day(when.date()) == format_date(when.date(), "dd.MM.yyyy", locale="pl_PL")
        assert moment(when) == format_datetime(when, "dd.MM.yyyy, HH:mm:ss", locale="pl_PL")


def test_select_options_escape_values_and_texts_and_mark_the_choice():
    from gateway.web.templating import option_tags

    html = str(option_tags([(1, '<b>"Lok" & 1</b>'), ("x\"><script>", "ok")], 1))
    assert '<option value="1" selected>&lt;b&gt;&#34;Lok&#34; &amp; 1&lt;/b&gt;</option>' in html
    assert '<option value="x&#34;&gt;&lt;script&gt;">ok</option>' in html
    assert "<script>" not in html and "<b>" not in html
    months = str(option_tags([3, 4], 4, lambda m: f"m{m}"))
    assert months.count("selected") == 1 and '<option value="4" selected>m4</option>' in months
