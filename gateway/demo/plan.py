"""The cooperative-level plan: calendar, dictionaries, buildings, premises, rates.

All of it is derived from one `random.Random` in a fixed order, so the same
arguments always give the same plan.
"""

from __future__ import annotations

import calendar
import itertools
import random
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from . import names

CENT = Decimal("0.01")
RATE_Q = Decimal("0.0001")
ZERO = Decimal("0.00")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def dec(value: float, places: str = "0.01") -> Decimal:
    """A float drawn from the RNG turned into an exact Decimal (via its repr)."""
    return Decimal(repr(value)).quantize(Decimal(places), ROUND_HALF_UP)


# ---- dictionaries -----------------------------------------------------------

TYTULY = (
    ("SWP", "Spółdzielcze własnościowe prawo do lokalu"),
    ("LOK", "Spółdzielcze lokatorskie prawo do lokalu"),
    ("ODW", "Odrębna własność lokalu"),
    ("NAJ", "Najem"),
)

# KOD_SKL, NAZWA_SKL, JEDN, PODSTAWA, RODZ_KONTA, VAT_PROC
SKLADNIKI = (
    ("EKS", "Eksploatacja", "m2", "pow. użytkowa", "EKS", None),
    ("FR", "Fundusz remontowy", "m2", "pow. użytkowa", "EKS", None),
    ("POD", "Podatek od nieruchomości i opłata lokalna", "m2", "pow. użytkowa", "EKS", None),
    ("DOM", "Domofon", "lok.", "lokal", "EKS", None),
    ("WIN", "Eksploatacja dźwigu (winda)", "m2", "pow. użytkowa", "EKS", None),
    ("ODP", "Gospodarowanie odpadami komunalnymi", "os.", "liczba osób", "EKS", None),
    ("CO", "Centralne ogrzewanie - zaliczka", "m2", "pow. użytkowa", "MED", None),
    ("ZW", "Zimna woda i odprowadzanie ścieków - zaliczka", "m3",
     "zużycie deklarowane", "MED", None),
    ("ZWR", "Zimna woda i ścieki - ryczałt (brak wodomierzy)", "os.", "liczba osób",
     "MED", None),
    ("CW", "Podgrzanie wody - zaliczka", "m3", "zużycie deklarowane", "MED", None),
    ("GAR", "Eksploatacja garażu", "m2", "pow. użytkowa", "EKS", Decimal("23.00")),
    ("CZU", "Czynsz najmu lokalu użytkowego", "m2", "pow. użytkowa", "EKS", Decimal("23.00")),
    ("COU", "Centralne ogrzewanie - lokal użytkowy", "m2", "pow. użytkowa", "EKS",
     Decimal("23.00")),
)
VAT = {row[0]: row[5] for row in SKLADNIKI}
ACCOUNT_OF = {row[0]: row[4] for row in SKLADNIKI}

RODZ_DOK = (
    ("NAL", "Naliczenie opłat"),
    ("WPL", "Wpłata"),
    ("ODS", "Odsetki za zwłokę"),
    ("STO", "Storno (korekta dokumentu)"),
    ("ROZ", "Rozliczenie mediów"),
    ("BON", "Bonifikata / dodatek mieszkaniowy"),
    ("ZWR", "Zwrot nadpłaty"),
)
MEDIA = (("ZW", "Zimna woda", "m3"), ("CW", "Ciepła woda", "m3"),
         ("CO", "Ciepło (podzielniki)", "j."))

ACCOUNT_KINDS = {  # RODZ_KONTA: (synthetic account prefix, NAZWA_KONTA)
    "EKS": ("204", "Opłaty eksploatacyjne"),
    "MED": ("205", "Woda i media"),
    "ODS": ("208", "Odsetki"),
}

# Statutory late-payment interest, % a year (simplified to whole years).
INTEREST = {2015: "8.00", 2016: "7.00", 2017: "7.00", 2018: "7.00", 2019: "7.00",
            2020: "5.60", 2021: "5.60", 2022: "11.00", 2023: "12.25", 2024: "11.25",
            2025: "10.50"}


def interest_rate(year: int) -> Decimal:
    if year in INTEREST:
        return Decimal(INTEREST[year])
    return Decimal("8.00") if year < 2015 else Decimal("10.00")


# ---- calendar -----------------------------------------------------------------

class Calendar:
    """The months with data: `years` calendar years ending with `until`'s month."""

    def __init__(self, until: date, years: int):
        self.until = date(until.year, until.month, 1)
        self.first_year = self.until.year - years + 1
        self.start = date(self.first_year, 1, 1)
        self.n = (years - 1) * 12 + self.until.month
        self.firsts = [date(self.first_year + i // 12, i % 12 + 1, 1) for i in range(self.n)]
        self.lasts = [d.replace(day=calendar.monthrange(d.year, d.month)[1])
                      for d in self.firsts]
        self.end = self.lasts[-1]
        # dates[idx][day]: that day of the month, days past its end clamped to the last
        self.dates = [[f] + [f.replace(day=min(k, last.day)) for k in range(1, 32)]
                      for f, last in zip(self.firsts, self.lasts, strict=True)]

    def index(self, day: date) -> int:
        return (day.year - self.first_year) * 12 + day.month - 1

    def day(self, idx: int, day: int) -> date:
        first = self.firsts[idx]
        return first.replace(day=min(day, self.lasts[idx].day))


# ---- buildings and premises ---------------------------------------------------

@dataclass
class Building:
    id: int
    nr: str
    street: str
    house: str
    lift: bool
    garages: bool
    levels: int
    intercom: bool
    allocators: bool
    read_day_jun: int
    read_day_dec: int
    campaign_offset: int         # water meters are replaced when (year - offset) % 5 == 0
    campaign_month: int
    campaign_day: int
    settle_day: int
    heat_factor: dict[int, Decimal] = field(default_factory=dict)   # actual/advance, per year
    hot_factor: dict[int, Decimal] = field(default_factory=dict)
    has_commercial: bool = False

    def row(self) -> tuple:
        return (self.id, self.nr, self.street, self.house, "97-400", "Bełchatów",
                "T" if self.lift else "N")


@dataclass
class Premises:
    id: int
    building: Building
    seq: int                     # number in the building's register
    kind: str                    # M / G / U
    number: str
    area: Decimal
    rooms: int | None
    floor: int | None
    metered: bool
    four_meters: bool = False

    @property
    def nr_ewid(self) -> str:
        return f"{self.building.nr}-{self.seq:04d}"

    def row(self) -> tuple:
        return (self.id, self.building.id, self.number, self.nr_ewid, self.kind, self.area,
                self.rooms, self.floor, "T" if self.metered else "N")


FLAT_TYPES = (  # (weight, area from, area to, rooms)
    (10, 25.0, 33.0, 1), (25, 34.0, 42.0, 2), (35, 44.0, 54.0, 3), (20, 55.0, 66.0, 3),
    (10, 67.0, 90.0, 4),
)


def plan_buildings(rng: random.Random, premises: int, cal: Calendar
                   ) -> tuple[list[Building], list[Premises]]:
    n_garages = max(1, round(premises * 0.10))
    n_commercial = max(1, round(premises * 0.02))
    n_flats = premises - n_garages - n_commercial
    if n_flats < 2:
        raise ValueError("premises must be at least 4")
    n_bud = max(3, round(premises / 60))
    n_gar_bud = min(max(1, round(n_garages / 40)), n_bud - 2)
    n_res = n_bud - n_gar_bud

    buildings: list[Building] = []
    house_no: dict[str, int] = {}
    for i in range(n_bud):
        garages = i >= n_res
        if i == 0:
            street = "ul. Lipowa"
        elif garages:
            street = rng.choice(names.GARAGE_STREETS)
        else:
            street = names.STREETS[rng.randrange(len(names.STREETS))]
        step = rng.choice((1, 2, 2, 4))
        house_no[street] = house_no.get(street, 0) + step
        house = str(house_no[street])
        if garages:
            house += "G"
        elif rng.random() < 0.12:
            house += rng.choice("AB")
        lift = not garages and rng.random() < 0.3
        buildings.append(Building(
            id=i + 1, nr=f"{i + 1:02d}", street=street, house=house, lift=lift,
            garages=garages, levels=11 if lift else 5,
            intercom=not garages and rng.random() < 0.92,
            allocators=not garages and rng.random() < 0.6,
            read_day_jun=rng.randrange(18, 29), read_day_dec=rng.randrange(12, 29),
            campaign_offset=rng.randrange(5), campaign_month=rng.choice((4, 5, 9, 10)),
            campaign_day=rng.randrange(3, 27), settle_day=rng.randrange(10, 28),
        ))
    # The flat of the fixed scenario (ID_LOK 1) sees a meter replacement mid-range.
    b1 = buildings[0]
    b1.campaign_offset = (cal.first_year + (cal.until.year - cal.first_year) // 2) % 5
    b1.campaign_month = 4
    for b in buildings:
        for year in range(cal.first_year, cal.until.year + 1):
            b.heat_factor[year] = dec(rng.uniform(0.85, 1.18), "0.001")
            b.hot_factor[year] = dec(rng.uniform(0.88, 1.20), "0.001")

    # Split flats and commercial premises between residential buildings.
    residential = buildings[:n_res]
    weights = [rng.uniform(0.7, 1.3) for _ in residential]
    total = sum(weights)
    flats_per = [max(1, int(n_flats * w / total)) for w in weights]
    flats_per[0] = max(flats_per[0], 2)          # ID_LOK 1 and 2 are flats of building 1
    while sum(flats_per) > n_flats:
        floor = [2] + [0] * (n_res - 1)
        spare = [v - f for v, f in zip(flats_per, floor, strict=True)]
        flats_per[spare.index(max(spare))] -= 1
    while sum(flats_per) < n_flats:
        flats_per[rng.randrange(len(flats_per))] += 1
    commercial_per = [0] * n_res
    commercial_per[0] = 1
    for _ in range(n_commercial - 1):
        commercial_per[rng.randrange(n_res)] += 1

    lokale: list[Premises] = []
    for b, n_m, n_u in zip(residential, flats_per, commercial_per, strict=True):
        per_floor = -(-n_m // b.levels)
        for k in range(n_m):
            weight = rng.randrange(100)
            for flat_type in FLAT_TYPES:
                weight -= flat_type[0]
                if weight < 0:
                    break
            _, a_from, a_to, rooms = flat_type
            area = dec(rng.uniform(a_from, a_to))
            metered = rng.random() < 0.9
            lokale.append(Premises(
                id=len(lokale) + 1, building=b, seq=k + 1, kind="M", number=str(k + 1),
                area=area, rooms=rooms if rng.random() > 0.1 else max(1, rooms - 1),
                floor=k // per_floor, metered=metered, four_meters=rng.random() < 0.65))
        for k in range(n_u):
            b.has_commercial = True
            lokale.append(Premises(
                id=len(lokale) + 1, building=b, seq=n_m + k + 1, kind="U", number=f"U{k + 1}",
                area=dec(rng.uniform(40.0, 250.0)), rooms=None, floor=0, metered=False))
    lokale[0].metered = True
    lokale[0].four_meters = True
    gar_buildings = buildings[n_res:]
    for g in range(n_garages):
        b = gar_buildings[g * len(gar_buildings) // n_garages]
        seq = sum(1 for p in lokale if p.building is b) + 1
        lokale.append(Premises(
            id=len(lokale) + 1, building=b, seq=seq, kind="G", number=str(seq),
            area=dec(rng.uniform(12.0, 20.0)), rooms=None, floor=None, metered=False))
    return buildings, lokale


class Counters:
    """Sequential ids per table and document numbers 'NAL/2024/03/000123'."""

    def __init__(self, cal: Calendar) -> None:
        self.cal = cal
        self.ids: dict[str, itertools.count] = {}
        self.numbers: dict[tuple[str, int], list] = {}

    def counter(self, name: str) -> itertools.count:
        counter = self.ids.get(name)
        if counter is None:
            counter = self.ids[name] = itertools.count(1)
        return counter

    def next(self, name: str) -> int:
        return next(self.counter(name))

    def skip_to(self, name: str, first: int) -> None:
        self.ids[name] = itertools.count(first)

    def nr_idx(self, prefix: str, idx: int) -> str:
        """The next number of `prefix` documents in month `idx` of the calendar."""
        entry = self.numbers.get((prefix, idx))
        if entry is None:
            first = self.cal.firsts[idx]
            entry = self.numbers[(prefix, idx)] = [f"{prefix}/{first.year}/{first.month:02d}/",
                                                   0]
        entry[1] += 1
        return f"{entry[0]}{entry[1]:06d}"

    def nr(self, prefix: str, day: date) -> str:
        return self.nr_idx(prefix, self.cal.index(day))
