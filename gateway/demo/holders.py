"""Persons (OSOBY) and their assignments to premises (PRZYDZIALY), with history.

Holder changes always happen at the end of a month: the old assignment ends
on the month's last day (DATA_DO) and the next one starts the day after, so
every month of a premises belongs to exactly one holding (one person, or
co-holders with the same dates and shares '1/2' or '1/3').
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from . import names
from .plan import Calendar, Premises, dec

MIGRATION = date(1999, 11, 15)     # records older than this were entered at migration


@dataclass
class Holding:
    seq: int                       # 1 = first holder in the data, for NR_KONTA
    persons: list[int]
    title: str
    start: date
    end: date | None
    udzial: str | None
    n_os: int
    member: bool
    profile: str                   # T on time, Z standing order, N rounds up, L late, P debtor
    first: int = 0                 # month indexes within the calendar
    last: int = 0
    water_factor: float = 1.0
    heat_factor: float = 1.0
    declared_total: Decimal = Decimal("0.0")
    declared_hot: Decimal = Decimal("0.0")
    allowance: tuple[int, int, float] | None = None   # months from..to, share of the charge
    forced: dict = field(default_factory=dict)


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    roll = rng.randrange(sum(w for _, w in table))
    for value, weight in table:
        roll -= weight
        if roll < 0:
            return value
    raise AssertionError("unreachable")


TITLES_OLD = (("SWP", 66), ("LOK", 14), ("ODW", 16), ("NAJ", 4))
TITLES_NEW = (("ODW", 55), ("SWP", 40), ("NAJ", 5))
TITLES_GARAGE = (("SWP", 50), ("ODW", 20), ("NAJ", 30))
TITLES_COMMERCIAL = (("NAJ", 85), ("ODW", 15))
MEMBER_P = {"LOK": 1.0, "SWP": 0.8, "ODW": 0.3, "NAJ": 0.0}
PROFILES = {
    "M": (("T", 66), ("Z", 12), ("N", 6), ("L", 11), ("P", 5)),
    "G": (("T", 70), ("Z", 15), ("L", 10), ("P", 5)),
    "U": (("T", 65), ("Z", 15), ("L", 20)),
}
CHANGE_P = {"M": 0.035, "G": 0.05, "U": 0.08}     # holder changes per year


class Persons:
    """Creates OSOBY rows into `out` and remembers who may also hold a garage."""

    def __init__(self, out: list, ids, conv_date):
        self.out = out
        self.ids = ids
        self.conv_date = conv_date
        self.candidates: list[tuple[int, date]] = []
        self.members = 146

    def member_no(self) -> str:
        self.members += 1
        return f"{self.members:05d}"

    def add(self, row: tuple) -> int:
        self.out.append(row[:9] + (self.conv_date(row[9]),))
        return row[0]

    def natural(self, rng: random.Random, when: date, *, male: bool, surname: str,
                member: bool, born: tuple[int, int]) -> int:
        pid = self.ids.next("os")
        last = surname if male else names.feminine(surname)
        first = rng.choice(names.MALE if male else names.FEMALE)
        birth = names.birth_date(rng, *born)
        pesel = names.pesel(rng, birth, male) if rng.random() > 0.07 else None
        nr_czl = self.member_no() if member else None
        adr = names.other_address(rng) if rng.random() < 0.08 else None
        tel = names.phone(rng) if rng.random() < 0.6 else None
        mail_p = 0.12 if birth.year < 1955 else 0.5
        mail = names.email(rng, first, last) if rng.random() < mail_p else None
        entered = None if rng.random() < 0.02 else \
            max(MIGRATION, when - timedelta(days=rng.randrange(21)))
        return self.add((pid, last, first, None, pesel, nr_czl, adr, tel, mail, entered))

    def company(self, rng: random.Random, when: date) -> int:
        pid = self.ids.next("os")
        name = names.company(rng)
        tel = names.phone(rng) if rng.random() < 0.8 else None
        mail = None
        if rng.random() < 0.6:
            word = names.ascii_fold(name.split("„")[-1].split("”")[0]).lower().replace(" ", "")
            mail = f"biuro@{word}.pl"
        entered = max(MIGRATION, when - timedelta(days=rng.randrange(30)))
        return self.add((pid, name[:60], None, name, None, None, None, tel, mail, entered))

    def scenario(self, cal: Calendar, lucja_from: date) -> None:
        """ID_OS 1-5, the fixed persons the tests and the README rely on."""
        rng = random.Random("scenario")
        self.add((1, "Kowalski", "Jan", None, names.pesel(rng, date(1956, 3, 14), True),
                  "00101", None, "601 234 567", "jan.kowalski@wp.pl", MIGRATION))
        self.add((2, "Kowalska", "Anna", None, names.pesel(rng, date(1958, 9, 2), False),
                  "00102", None, None, None, MIGRATION))
        self.add((3, "Żółtowski-Źdźbło", "Zbigniew", None,
                  names.pesel(rng, date(1941, 11, 30), True), "00103",
                  "ul. Piotrkowska 112 m. 5, 90-006 Łódź", "44 632 15 87", None, MIGRATION))
        self.add((4, "Wiśniewska", "Łucja", None, names.pesel(rng, date(1987, 6, 21), False),
                  None, None, "+48 789 456 123", "lucja.wisniewska@gmail.com",
                  lucja_from - timedelta(days=6)))
        firm = "Apteka „Pod Lipami” Sp. z o.o."
        self.add((5, firm, None, firm, None, None, None, "44 635 22 10",
                  "apteka.podlipami@interia.pl", date(2008, 1, 21)))
        self.ids.skip_to("os", 6)


def before_start(cal: Calendar, wanted: date) -> date:
    return min(wanted, cal.start - timedelta(days=1))


def scenario_change_month(cal: Calendar) -> int | None:
    """The month at whose end ID_OS 3 hands the flat over to ID_OS 4."""
    idx = max(0, cal.n - 13)
    if cal.firsts[idx].month == 12:
        idx = idx - 1 if idx > 0 else idx + 1
    return idx if idx <= cal.n - 2 else None


class HoldingPlanner:
    def __init__(self, cal: Calendar, persons: Persons):
        self.cal = cal
        self.persons = persons

    def _frame(self, h: Holding) -> Holding:
        cal = self.cal
        h.first = 0 if h.start < cal.start else cal.index(h.start)
        h.last = cal.n - 1 if h.end is None else cal.index(h.end)
        return h

    def _water(self, rng: random.Random, h: Holding, lok: Premises) -> None:
        h.water_factor = rng.uniform(0.55, 1.45)
        h.heat_factor = rng.uniform(0.6, 1.5)
        if lok.kind == "M":
            total = max(1.0, h.n_os * 3.0 * rng.uniform(0.8, 1.2))
            h.declared_total = dec(total, "0.1")
            h.declared_hot = dec(max(0.5, total * 0.38), "0.1")

    def scenario(self, lok: Premises, role: str) -> list[Holding]:
        cal = self.cal
        rng = random.Random(f"scenario:{role}")
        if role == "flat1":
            h = Holding(1, [1, 2], "SWP", before_start(cal, date(1994, 5, 12)), None, "1/2",
                        2, True, "T")
            self._water(rng, h, lok)
            h.water_factor = 0.6                   # uses less than declared: overpayments
            h.forced = {"storno": cal.n // 2, "estimate": 1}
            return [self._frame(h)]
        if role == "flat2":
            idx = scenario_change_month(cal)
            end = cal.lasts[idx] if idx is not None else None
            h1 = Holding(1, [3], "SWP", before_start(cal, date(1989, 10, 2)), end, None,
                         1, True, "T")
            self._water(rng, h1, lok)
            result = [self._frame(h1)]
            if end is not None:
                h2 = Holding(2, [4], "ODW", end + timedelta(days=1), None, None, 2, False, "T")
                self._water(rng, h2, lok)
                result.append(self._frame(h2))
            return result
        if role == "garage1":
            return [self._frame(Holding(1, [1], "SWP", before_start(cal, date(2001, 3, 1)),
                                        None, None, 0, True, "T"))]
        if role == "shop1":
            return [self._frame(Holding(1, [5], "NAJ", before_start(cal, date(2008, 2, 1)),
                                        None, None, 0, False, "T"))]
        raise ValueError(role)

    def plan(self, rng: random.Random, lok: Premises) -> list[Holding]:
        cal = self.cal
        p = CHANGE_P[lok.kind] / 12
        changes: list[int] = []
        for idx in range(cal.n - 1):
            if rng.random() < p and (not changes or idx - changes[-1] >= 4):
                changes.append(idx)
        lo = date({"M": 1978, "G": 1982, "U": 1995}[lok.kind], 1, 1)
        hi = cal.start - timedelta(days=1)
        if hi <= lo:
            lo = hi - timedelta(days=3650)
        starts = [lo + timedelta(days=rng.randrange((hi - lo).days))]
        starts += [cal.firsts[c + 1] for c in changes]
        ends = [cal.lasts[c] for c in changes] + [None]
        holdings = []
        for seq, (start, end) in enumerate(zip(starts, ends, strict=True), 1):
            holdings.append(self._frame(self._holding(rng, lok, seq, start, end)))
        return holdings

    def _holding(self, rng: random.Random, lok: Premises, seq: int, start: date,
                 end: date | None) -> Holding:
        old = seq == 1
        born = (1925, 1975) if old else (1950, 2001)
        born = (born[0], min(born[1], start.year - 19))
        persons = self.persons
        if lok.kind == "U":
            title = _pick(rng, TITLES_COMMERCIAL)
            h = Holding(seq, [persons.company(rng, start)], title, start, end, None, 0, False,
                        _pick(rng, PROFILES["U"]))
            self._water(rng, h, lok)
            return h
        if lok.kind == "G":
            title = _pick(rng, TITLES_GARAGE)
            member = rng.random() < MEMBER_P[title]
            pid = None
            if rng.random() < 0.6 and persons.candidates:
                for _ in range(3):
                    cand, since = persons.candidates[rng.randrange(len(persons.candidates))]
                    if since <= start:
                        pid = cand
                        break
            if pid is None:
                pid = persons.natural(rng, start, male=rng.random() < 0.7,
                                      surname=rng.choice(names.SURNAMES), member=member,
                                      born=born)
            h = Holding(seq, [pid], title, start, end, None, 0, member,
                        _pick(rng, PROFILES["G"]))
            self._water(rng, h, lok)
            return h
        title = _pick(rng, TITLES_OLD if old else TITLES_NEW)
        member = rng.random() < MEMBER_P[title]
        surname = rng.choice(names.SURNAMES)
        roll = rng.random()
        count = 1 if roll < 0.61 else 2 if roll < 0.99 else 3
        male = rng.random() < 0.5
        ids = [persons.natural(rng, start, male=male if count == 1 else True, surname=surname,
                               member=member, born=born)]
        for k in range(1, count):
            other = surname if count == 3 or rng.random() < 0.85 else rng.choice(names.SURNAMES)
            also_member = rng.random() < (0.6 if member else 0.1)
            ids.append(persons.natural(rng, start, male=count == 3 and k == 1, surname=other,
                                       member=also_member, born=born))
            member = member or also_member
        if count == 2 and rng.random() < 0.5:
            ids.reverse()
        persons.candidates.append((ids[0], start))
        n_os = (rng.choice((1, 1, 1, 1, 1, 2, 2, 2, 3, 3)) if count == 1 else
                rng.choice((2, 2, 2, 2, 3, 3, 3, 4, 4, 5)) if count == 2 else
                rng.choice((1, 2, 3)))
        udzial = None if count == 1 else f"1/{count}"
        h = Holding(seq, ids, title, start, end, udzial, n_os, member,
                    _pick(rng, PROFILES["M"]))
        self._water(rng, h, lok)
        if h.profile in "TLP" and rng.random() < 0.03:
            first = 0 if start < self.cal.start else self.cal.index(start)
            last = self.cal.n - 1 if end is None else self.cal.index(end)
            if last > first:
                a = rng.randrange(first, last + 1)
                h.allowance = (a, min(last, a + rng.randrange(6, 25)), rng.uniform(0.25, 0.6))
        return h
