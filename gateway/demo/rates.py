"""Rates (STAWKI): per building and component, valid from a date.

Most change on 1 January of some years (more in 2022-2024); the waste fee is
municipal, the same for every building, and once changed mid-year. `Rates`
also resolves, for every building and month, the rate valid in that month.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from .plan import RATE_Q, Building, Calendar, dec, money

# Waste fee (municipal, the same for every building), changes by resolution:
# (valid from, zł per person).
ODP_SCHEDULE = (
    (date(2013, 7, 1), "10.00"), (date(2016, 1, 1), "11.00"), (date(2018, 1, 1), "12.00"),
    (date(2020, 4, 1), "23.00"), (date(2021, 1, 1), "29.00"), (date(2023, 1, 1), "35.00"),
    (date(2024, 1, 1), "38.00"), (date(2025, 1, 1), "41.00"),
)
CHANGE_P = {"EKS": 0.5, "FR": 0.35, "POD": 0.6, "CO": 0.45, "ZW": 0.75, "CW": 0.5,
            "DOM": 0.12, "WIN": 0.15, "GAR": 0.3, "CZU": 0.4, "COU": 0.4}


def _inflation(year: int) -> float:
    return {2022: 2.2, 2023: 2.0, 2024: 1.3}.get(year, 1.0)


class Rates:
    """STAWKI rows and, per building, the rates valid in every month."""

    def __init__(self, rng: random.Random, buildings: list[Building], cal: Calendar):
        self.rows: list[tuple] = []
        self.by_month: dict[int, list[dict[tuple[str, str | None], Decimal]]] = {}
        water = rng.uniform(10.6, 11.6)
        water_changes = {y: rng.random() < CHANGE_P["ZW"] for y in range(cal.first_year + 1,
                                                                          cal.until.year + 1)}
        water_steps = {y: rng.uniform(0.02, 0.06) for y in water_changes}
        for b in buildings:
            series: dict[tuple[str, str | None], list[tuple[date, Decimal]]] = {}
            first = date(cal.first_year - rng.randrange(4), 1, 1)
            base: dict[tuple[str, str | None], float] = {}
            if b.garages:
                base[("GAR", None)] = rng.uniform(0.74, 1.20)
            else:
                eks = rng.uniform(1.50, 2.05)
                base[("EKS", "T")] = eks
                base[("EKS", "N")] = eks + rng.uniform(0.30, 0.60)
                base[("FR", None)] = rng.uniform(1.10, 3.60)
                base[("POD", None)] = rng.uniform(0.12, 0.25)
                base[("CO", None)] = rng.uniform(2.00, 5.00)
                base[("CW", None)] = rng.uniform(16.0, 26.0)
                if b.intercom:
                    base[("DOM", None)] = rng.uniform(1.35, 2.60)
                if b.lift:
                    base[("WIN", None)] = rng.uniform(0.30, 0.40)
                if b.has_commercial:
                    base[("CZU", None)] = rng.uniform(8.0, 14.0)
                    base[("COU", None)] = rng.uniform(2.5, 5.0)
            for key, value in base.items():
                kod = key[0]
                points = [(first, dec(value))]
                for year in range(cal.first_year + 1, cal.until.year + 1):
                    if kod == "EKS" and key[1] == "N":
                        # the non-member rate moves together with the member rate
                        continue
                    if rng.random() < CHANGE_P[kod]:
                        value *= 1 + rng.uniform(0.02, 0.08) * _inflation(year)
                        points.append((date(year, 1, 1), dec(value)))
                series[key] = points
            if ("EKS", "T") in series:
                delta = series[("EKS", "N")][0][1] - series[("EKS", "T")][0][1]
                series[("EKS", "N")] = [(d, v + delta) for d, v in series[("EKS", "T")]]
            if not b.garages:
                w = water
                points = [(first, dec(w))]
                for year, changed in water_changes.items():
                    if changed:
                        w *= 1 + water_steps[year] * _inflation(year)
                        points.append((date(year, 1, 1), dec(w)))
                series[("ZW", None)] = points
                # flat rate per person without meters: a norm of 3.2 m3 a month
                series[("ZWR", None)] = [(d, money(v * Decimal("3.2"))) for d, v in points]
                series[("ODP", None)] = _odp_points(cal)
            for (kod, czl), points in series.items():
                for valid_from, value in points:
                    self.rows.append((len(self.rows) + 1, b.id, kod, czl,
                                      value.quantize(RATE_Q), valid_from))
            self.by_month[b.id] = self._months(series, cal)

    @staticmethod
    def _months(series: dict, cal: Calendar) -> list[dict]:
        months: list[dict] = []
        previous: dict | None = None
        for first in cal.firsts:
            current = {}
            for key, points in series.items():
                value = None
                for valid_from, v in points:
                    if valid_from <= first:
                        value = v
                current[key] = value
            if previous is not None and current == previous:
                current = previous           # the same object: the charge cache key
            months.append(current)
            previous = current
        return months


def _odp_points(cal: Calendar) -> list[tuple[date, Decimal]]:
    points = [(d, Decimal(v)) for d, v in ODP_SCHEDULE]
    last_day, last_value = points[-1]
    for year in range(last_day.year + 1, cal.until.year + 1):
        if year % 2 == 0:
            last_value += Decimal("3.00")
            points.append((date(year, 1, 1), last_value))
    kept = [p for p in points if p[0] > cal.start]
    before = [p for p in points if p[0] <= cal.start]
    head = before[-1] if before else (date(cal.first_year, 1, 1), points[0][1])
    return [head, *kept]
