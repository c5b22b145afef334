"""Polish formats: money, dates, NRB grouping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gateway.formats import day, money, nrb, number, unit

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
    from gateway.formats import rate

    assert rate(Decimal("2.7000")) == "2,70"
    assert rate(Decimal("0.3725")) == "0,3725"
