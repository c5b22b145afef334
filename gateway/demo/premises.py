"""Generates every row of the demo billing database, premises by premises.

Rows go into per-table buffers (`self.out`); `flush` hands full buffers to
the loader, so memory stays bounded whatever the scale. Each premises draws
from its own `random.Random(f"{seed}:lok:{id}")`, the cooperative-level plan
from `random.Random(f"{seed}:coop")`: the same arguments give the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from . import plan
from .holders import Holding, HoldingPlanner, Persons, scenario_change_month
from .ledger import Account, Ledger
from .meters import HEAT_UNITS_M2_MONTH, MeterSim, Usage, milli
from .plan import ACCOUNT_OF, RATE_Q, VAT, ZERO, Calendar, Counters, Premises, money
from .rates import Rates

TABLES = ("TYTULY", "SKLADNIKI", "RODZ_DOK", "MEDIA", "BUDYNKI", "LOKALE", "STAWKI", "OSOBY",
          "PRZYDZIALY", "RACH_WIRT", "KONTA", "SALDA_BO", "NALICZENIA", "DOKUMENTY",
          "LICZNIKI", "ODCZYTY", "ROZL_MED")
BANK = "10205561"                   # bank routing number (8 digits)
PAYEE = 27810000                    # the cooperative's payee prefix (8 digits)
MEDIUM_TEXT = {"ZW": "zimnej wody i ścieków", "CW": "podgrzania wody",
               "CO": "centralnego ogrzewania"}
FIXED_HEAT_SHARE = Decimal("0.45")  # fixed part of the heat cost (per m2)


def nrb(payee: int, premises_id: int) -> str:
    """A 26-digit NRB with valid check digits: bank + payee prefix + premises number."""
    bban = f"{BANK}{payee:08d}{premises_id:08d}"
    check = 98 - int(bban + "252100") % 97
    return f"{check:02d}{bban}"


def _identity(value):
    return value


def _iso(value):
    return None if value is None else value.isoformat()


def _text(value):
    return None if value is None else str(value)


class Generator:
    def __init__(self, *, premises: int, years: int, seed: int, until: date, sqlite: bool,
                 flush: Callable[[str, list], None], progress: Callable[[str], None]):
        self.cal = cal = Calendar(until, years)
        self.seed = seed
        self.flush_cb = flush
        self.progress = progress
        self.d = _iso if sqlite else _identity
        self.n = _text if sqlite else _identity
        self.out: dict[str, list] = {t: [] for t in TABLES}
        self.counts = dict.fromkeys(TABLES, 0)
        self.ids = Counters(cal)
        coop = random.Random(f"{seed}:coop")
        self.buildings, self.lokale = plan.plan_buildings(coop, premises, cal)
        self.rates = Rates(coop, self.buildings, cal)
        self.persons = Persons(self.out["OSOBY"], self.ids, self.d)
        self.planner = HoldingPlanner(cal, self.persons)
        self.meters = MeterSim(cal, self.ids, self.out["LICZNIKI"], self.out["ODCZYTY"],
                               self.d, self.n)
        self.ledger = Ledger(cal, self.ids, self.out["KONTA"], self.out["SALDA_BO"],
                             self.out["DOKUMENTY"], self.d, self.n)
        self.okres = [self.d(f) for f in cal.firsts]
        first_g = next(p.id for p in self.lokale if p.kind == "G")
        first_u = next(p.id for p in self.lokale if p.kind == "U")
        self.roles = {1: "flat1", 2: "flat2", first_g: "garage1", first_u: "shop1"}
        if [p.kind for p in self.lokale[:2]] != ["M", "M"]:
            raise AssertionError("ID_LOK 1 and 2 must be flats for the fixed scenario")

    # ---- output ------------------------------------------------------------
    def flush(self, limit: int = 0) -> None:
        for table, rows in self.out.items():
            if rows and len(rows) >= limit:
                batch = rows[:]
                rows.clear()
                self.counts[table] += len(batch)
                self.flush_cb(table, batch)

    # ---- the whole database ------------------------------------------------------
    def run(self, batch_rows: int) -> dict[str, int]:
        cal, out, d, n = self.cal, self.out, self.d, self.n
        out["TYTULY"].extend(plan.TYTULY)
        out["SKLADNIKI"].extend(r[:5] + (n(r[5]),) for r in plan.SKLADNIKI)
        out["RODZ_DOK"].extend(plan.RODZ_DOK)
        out["MEDIA"].extend(plan.MEDIA)
        out["BUDYNKI"].extend(b.row() for b in self.buildings)
        out["STAWKI"].extend(r[:4] + (n(r[4]), d(r[5])) for r in self.rates.rows)
        change = scenario_change_month(cal)
        self.persons.scenario(cal, cal.firsts[change + 1] if change is not None else cal.start)
        self.progress(f"{len(self.buildings)} buildings, {len(self.lokale)} premises, "
                      f"{cal.n} months from {cal.start:%Y-%m} to {cal.until:%Y-%m}")
        step = max(1, len(self.lokale) // 10)
        for k, lok in enumerate(self.lokale, 1):
            self.premises(lok)
            self.flush(batch_rows)
            if k % step == 0 and k < len(self.lokale):
                self.progress(f"premises {k}/{len(self.lokale)}")
        self.flush()
        return self.counts

    def premises(self, lok: Premises) -> None:
        rng = random.Random(f"{self.seed}:lok:{lok.id}")
        d, out = self.d, self.out
        out["LOKALE"].append(lok.row()[:5] + (self.n(lok.area),) + lok.row()[6:])
        role = self.roles.get(lok.id)
        holdings = self.planner.scenario(lok, role) if role else self.planner.plan(rng, lok)
        for h in holdings:
            for pid in h.persons:
                out["PRZYDZIALY"].append((self.ids.next("prz"), pid, lok.id, h.title,
                                          d(h.start), d(h.end), h.udzial, h.n_os))
        self._virtual_accounts(rng, lok, holdings)
        usage = self.meters.run(rng, lok, holdings) if lok.kind == "M" else Usage()
        for h in holdings:
            self.holding(rng, lok, h, usage)

    def _virtual_accounts(self, rng: random.Random, lok: Premises, holdings: list) -> None:
        since = min(date(2011, 1, 3), self.cal.start - timedelta(days=400))
        generation = 0
        for h in holdings[:-1]:
            if lok.id > 2 and rng.random() < 0.3:      # reissued for the new holder
                self.out["RACH_WIRT"].append((self.ids.next("rw"), lok.id,
                                              nrb(PAYEE + generation, lok.id), self.d(since),
                                              self.d(h.end)))
                generation += 1
                since = h.end + timedelta(days=1)
        self.out["RACH_WIRT"].append((self.ids.next("rw"), lok.id, nrb(PAYEE + generation,
                                                                       lok.id),
                                      self.d(since), None))

    # ---- charges -----------------------------------------------------------
    @staticmethod
    def components(lok: Premises, h: Holding) -> list[tuple[str, Decimal, tuple]]:
        area = lok.area
        if lok.kind == "G":
            return [("GAR", area, ("GAR", None))]
        if lok.kind == "U":
            return [("CZU", area, ("CZU", None)), ("COU", area, ("COU", None))]
        b = lok.building
        persons = Decimal(h.n_os)
        comps = [("EKS", area, ("EKS", "T" if h.member else "N")), ("FR", area, ("FR", None)),
                 ("POD", area, ("POD", None))]
        if b.intercom:
            comps.append(("DOM", Decimal(1), ("DOM", None)))
        if b.lift:
            comps.append(("WIN", area, ("WIN", None)))
        comps += [("ODP", persons, ("ODP", None)), ("CO", area, ("CO", None))]
        if lok.metered:
            comps += [("ZW", h.declared_total, ("ZW", None)), ("CW", h.declared_hot, ("CW", None))]
        else:
            comps.append(("ZWR", persons, ("ZWR", None)))
        return comps

    def charges(self, comps: list, rates: dict) -> tuple[list, dict, dict]:
        n = self.n
        rows, totals, advances = [], {"EKS": ZERO, "MED": ZERO}, {}
        for kod, qty, key in comps:
            rate = rates.get(key)
            if rate is None:
                continue
            amount = money(qty * rate)
            vat_p = VAT[kod]
            vat = money(amount * vat_p / 100) if vat_p is not None else None
            rows.append((kod, n(qty), n(rate.quantize(RATE_Q)), n(amount), n(vat)))
            totals[ACCOUNT_OF[kod]] += amount if vat is None else amount + vat
            advances[kod] = amount
        return rows, totals, advances

    # ---- settlements -------------------------------------------------------------
    def settlement_plan(self, lok: Premises, h: Holding) -> dict[int, list]:
        cal, b = self.cal, lok.building
        periods = []
        for y in range(cal.first_year, cal.until.year + 1):
            if lok.metered:
                for kod in ("ZW", "CW"):
                    periods.append((kod, date(y, 1, 1), date(y, 6, 30),
                                    date(y, 8, b.settle_day)))
                    periods.append((kod, date(y, 7, 1), date(y, 12, 31),
                                    date(y + 1, 2, b.settle_day)))
            periods.append(("CO", date(y, 1, 1), date(y, 12, 31), date(y + 1, 4, b.settle_day)))
        result: dict[int, list] = {}
        for kod, start, stop, when in periods:
            if stop < h.start or (h.end is not None and start > h.end):
                continue
            a = max(start, h.start)
            z = stop if h.end is None else min(stop, h.end)
            if h.end is not None and h.end < when:
                when = h.end
            if when > cal.end:
                continue
            result.setdefault(cal.index(when), []).append((kod, a, z, when))
        return result

    def settle(self, lok: Premises, med: Account, usage: Usage, advances: dict,
               kod: str, a: date, z: date, when: date) -> tuple:
        cal, b = self.cal, lok.building
        ia, iz = cal.index(a), cal.index(z)
        paid = sum((advances.get((kod, i), ZERO) for i in range(ia, iz + 1)), ZERO)
        rates = self.rates.by_month[b.id][iz]
        used: Decimal | None
        if kod == "ZW":
            used = milli(usage.total(("ZW", "CW"), a, z))
            cost = money(used * rates[("ZW", None)])
        elif kod == "CW":
            used = milli(usage.total(("CW",), a, z))
            cost = money(used * money(rates[("CW", None)] * b.hot_factor[z.year]))
        elif b.allocators:
            factor = b.heat_factor[z.year]
            months = Decimal(iz - ia + 1)
            used = milli(usage.total(("CO",), a, z))
            price = (paid / (lok.area * months) * (1 - FIXED_HEAT_SHARE) * factor
                     / Decimal(repr(HEAT_UNITS_M2_MONTH))).quantize(RATE_Q)
            cost = money(paid * FIXED_HEAT_SHARE * factor) + money(used * price)
        else:
            used = None
            cost = money(paid * b.heat_factor[z.year])
        diff = cost - paid
        nr = self.ids.nr("ROZ", when)
        self.out["ROZL_MED"].append((self.ids.next("rozl"), lok.id, med.id, kod, nr, self.d(when),
                                     self.d(a), self.d(z), self.n(used), self.n(paid),
                                     self.n(cost), self.n(diff)))
        result = "niedopłata" if diff > 0 else "nadpłata" if diff < 0 else "bez różnicy"
        opis = f"Rozliczenie {MEDIUM_TEXT[kod]} {a:%d.%m.%Y}-{z:%d.%m.%Y} - {result}"
        return (when.day, 2, "ROZ", (nr, opis, diff))

    # ---- one holder's period -----------------------------------------------------
    def holding(self, rng: random.Random, lok: Premises, h: Holding, usage: Usage) -> None:
        cal, ledger, nal = self.cal, self.ledger, self.out["NALICZENIA"]
        nal_ids = self.ids.counter("nal")
        accounts = {"EKS": ledger.open(rng, lok, "EKS", h)}
        if lok.kind == "M":
            accounts["MED"] = ledger.open(rng, lok, "MED", h)
        ods = ledger.open(rng, lok, "ODS", h) if h.profile in "LP" else None
        settlements = self.settlement_plan(lok, h) if lok.kind == "M" else {}
        comps = self.components(lok, h)
        by_month = self.rates.by_month[lok.building.id]
        advances: dict[tuple[str, int], Decimal] = {}
        cached_rates, rows, totals, adv = None, [], {}, {}
        allowance = None
        accrued = ZERO
        storno_month = h.forced.get("storno")
        texts = {"EKS": "Opłata za garaż" if lok.kind == "G" else "Naliczenie opłat",
                 "MED": "Zaliczki na media"}
        for idx in range(h.first, h.last + 1):
            first = cal.firsts[idx]
            if idx > h.first and first.month == 1:
                for acc in (*accounts.values(), *((ods,) if ods else ())):
                    ledger.opening(acc, first)
            rates = by_month[idx]
            if rates is not cached_rates:
                rows, totals, adv = self.charges(comps, rates)
                cached_rates = rates
            okres = self.okres[idx]
            for kod, qty, rate, amount, vat in rows:
                nal.append((next(nal_ids), lok.id, okres, kod, qty, rate, amount, vat))
            for kod, amount in adv.items():
                advances[(kod, idx)] = amount
            for kind, acc in accounts.items():
                extra = []
                if kind == "MED":
                    extra = [self.settle(lok, acc, usage, advances, *s)
                             for s in settlements.get(idx, ())]
                elif h.allowance and h.allowance[0] <= idx <= h.allowance[1]:
                    if allowance is None:
                        allowance = money(totals["EKS"] * Decimal(repr(round(h.allowance[2],
                                                                             2))))
                    extra = [(rng.randrange(8, 15), 1, "BON", allowance)]
                storno = idx == storno_month if storno_month is not None and kind == "EKS" \
                    else rng.random() < 0.002
                text = None if rng.random() < 0.03 else \
                    f"{texts[kind]} {first.month:02d}/{first.year}"
                accrued += ledger.month(rng, acc, h, idx, totals[kind], text, extra, storno)
            closing = h.end is not None and idx == h.last
            if ods is not None:
                if ods.balance > 0 and rng.random() < (0.35 if h.profile == "L" else 0.08):
                    ledger.doc(ods, idx, rng.randrange(12, 29), "WPL", "Wpłata odsetek",
                               ma=ods.balance)
                if (first.month in (3, 6, 9, 12) or closing) and accrued >= 1:
                    ledger.interest_doc(ods, cal.lasts[idx], accrued)
                    accrued = ZERO
                elif first.month in (3, 6, 9, 12):
                    accrued = ZERO                  # below 1 zł: not charged
            if closing:
                for acc in (*accounts.values(), *((ods,) if ods else ())):
                    ledger.close(acc, h.end)
