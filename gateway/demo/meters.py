"""Meters (LICZNIKI) and readings (ODCZYTY) of one flat.

Meter states are simulated as integers in thousandths (litres for water,
1/1000 unit for heat cost allocators, which only ever move in whole units),
so every state, consumption and sum is exact. A reading visit is one
document (NR_DOK): 'OW' water twice a year (June and December), 'OC' heat
allocators yearly (December), 'OZ' handover at a change of holder, 'WM'
replacement of the water meters (every 5 years, the legal verification
period, building by building). An estimated reading ('S') never exceeds the
real state, so the next real reading keeps the states monotonic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from .holders import Holding
from .plan import Calendar, Counters, Premises

WATER_4 = (("ZW", "kuchnia", 0.35), ("ZW", "łazienka", 0.65),
           ("CW", "kuchnia", 0.30), ("CW", "łazienka", 0.70))
WATER_2 = (("ZW", "łazienka", 1.0), ("CW", "łazienka", 1.0))
LITRES_A_MONTH = {"ZW": 1800.0, "CW": 1100.0}      # per person
HEAT_UNITS_M2_MONTH = 0.5                          # allocator units per m2 and month
BRANDS = ("PW", "AP", "JS", "SN", "MD")


def milli(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


@dataclass
class Place:
    kod: str
    where: str | None
    share: float
    heat: bool
    meter: list = field(default_factory=list)   # [id, nr_fabr, mont, demont]
    true: int = 0
    recorded: int = 0


@dataclass
class Usage:
    """Consumption per medium as (reading date, thousandths) for settlements."""
    readings: dict[str, list[tuple[date, int]]] = field(default_factory=dict)

    def total(self, kods: tuple[str, ...], a: date, b: date) -> int:
        return sum(zu for kod in kods for day, zu in self.readings.get(kod, ())
                   if a <= day <= b)


class MeterSim:
    def __init__(self, cal: Calendar, ids: Counters, liczniki: list, odczyty: list,
                 conv_date, conv_num):
        self.cal = cal
        self.ids = ids
        self.liczniki = liczniki
        self.odczyty = odczyty
        self.d = conv_date
        self.n = conv_num

    def _new_meter(self, rng: random.Random, place: Place, mont: date) -> list:
        yy = mont.year % 100
        if place.heat:
            nr = f"E{yy:02d}{rng.randrange(10**7):07d}"
        else:
            nr = f"{rng.choice(BRANDS)}{yy:02d}{rng.randrange(10**6):06d}"
        meter = [self.ids.next("licz"), nr, mont, None]
        place.meter.append(meter)
        return meter

    def run(self, rng: random.Random, lok: Premises, holdings: list[Holding]) -> Usage:
        cal, b = self.cal, lok.building
        water, heat = lok.metered, b.allocators and lok.kind == "M"
        usage = Usage()
        if not (water or heat):
            return usage
        places: list[Place] = []
        if water:
            places += [Place(k, w, s, False) for k, w, s in
                       (WATER_4 if lok.four_meters else WATER_2)]
        if heat:
            rooms = [f"pokój {i}" for i in range(1, (lok.rooms or 1) + 1)] + ["kuchnia"]
            places += [Place("CO", None if rng.random() < 0.02 else r, 1 / len(rooms), True)
                       for r in rooms]

        def holder(day: date) -> Holding:
            for h in holdings:
                if h.end is None or day <= h.end:
                    return h
            return holdings[-1]

        def per_day(place: Place, h: Holding) -> float:
            if place.heat:
                return float(lok.area) * HEAT_UNITS_M2_MONTH * 12 / 365 * h.heat_factor \
                    * place.share * 1000
            return max(h.n_os, 1) * LITRES_A_MONTH[place.kod] * place.share \
                * h.water_factor / 30.4

        # Meters in place before the data starts, and the last reading before it.
        previous = date(cal.first_year - 1, 12, b.read_day_dec)
        year = cal.first_year
        while not ((year - b.campaign_offset) % 5 == 0
                   and date(year, b.campaign_month, b.campaign_day) < previous):
            year -= 1
        water_mont = date(year, b.campaign_month, b.campaign_day)
        heat_mont = date(min(2012, cal.first_year - 1), 9, 1 + b.id % 20)
        first = holder(previous)
        for place in places:
            mont = heat_mont if place.heat else water_mont
            self._new_meter(rng, place, mont)
            start = int(per_day(place, first) * (previous - mont).days * rng.uniform(0.8, 1.2))
            if place.heat:
                start -= start % 1000
            place.true = place.recorded = start

        visits: list[tuple[date, int, str, bool, bool]] = []   # day, order, kind, water, heat
        for y in range(cal.first_year, cal.until.year + 1):
            if water and (y - b.campaign_offset) % 5 == 0:
                visits.append((date(y, b.campaign_month, b.campaign_day), 0, "WM", True, False))
            if water:
                visits.append((date(y, 6, b.read_day_jun), 1, "OW", True, False))
                visits.append((date(y, 12, b.read_day_dec), 1, "OW", True, False))
            if heat:
                visits.append((date(y, 12, b.read_day_dec), 2, "OC", False, True))
        for h in holdings:
            if h.end is not None:
                w = water and h.end.month not in (6, 12)
                c = heat and h.end.month != 12
                if w or c:
                    visits.append((h.end, 3, "OZ", w, c))
        visits = sorted(v for v in visits if cal.start <= v[0] <= cal.end)

        estimate_forced = holdings[0].forced.get("estimate")
        estimated: dict[date, bool] = {}
        regular_water = 0
        last = previous
        for day, _, kind, w, c in visits:
            if day > last:
                h = holder(last + timedelta(days=1))
                for place in places:
                    inc = int(per_day(place, h) * (day - last).days * rng.uniform(0.85, 1.15))
                    place.true += inc - inc % 1000 if place.heat else inc
                last = day
            nr = self.ids.nr(kind, day)
            rodz = "O"
            if kind in ("OW", "OC"):
                if day not in estimated:
                    estimated[day] = rng.random() < 0.04
                if kind == "OW":
                    if estimate_forced is not None and regular_water == estimate_forced:
                        estimated[day] = True
                    regular_water += 1
                rodz = "S" if estimated[day] else "O"
            elif kind == "WM":
                rodz = "W"
            for place in places:
                if (place.heat and not c) or (not place.heat and not w):
                    continue
                self._read(rng, place, nr, day, rodz, usage)
                if kind == "WM":
                    place.meter[-1][3] = day
                    meter = self._new_meter(rng, place, day)
                    place.true = place.recorded = rng.randrange(0, 40)
                    self.odczyty.append((self.ids.next("odcz"), meter[0], nr, self.d(day), None,
                                         self.n(milli(place.recorded)), None, "W"))
        for place in places:
            for meter_id, nr_fabr, mont, demont in place.meter:
                self.liczniki.append((meter_id, lok.id, place.kod, nr_fabr, place.where,
                                      self.d(mont), self.d(demont)))
        return usage

    def _read(self, rng: random.Random, place: Place, nr: str, day: date, rodz: str,
              usage: Usage) -> None:
        value = place.true
        if rodz == "S":
            value = place.recorded + int((place.true - place.recorded) * rng.uniform(0.6, 0.95))
            if place.heat:
                value -= (value - place.recorded) % 1000
        used = value - place.recorded
        self.odczyty.append((self.ids.next("odcz"), place.meter[-1][0], nr, self.d(day),
                             self.n(milli(place.recorded)), self.n(milli(value)),
                             self.n(milli(used)), rodz))
        place.recorded = value
        usage.readings.setdefault(place.kod, []).append((day, used))
