"""Accounts (KONTA), documents (DOKUMENTY) and opening balances (SALDA_BO).

Balance = opening balance + debits (KWOTA_WN) - credits (KWOTA_MA); positive
means the resident owes. Every document moves the running balance of its
account, so SALDA_BO(year + 1) = SALDA_BO(year) + Wn(year) - Ma(year) holds by
construction. See generate.py for the storno and closing conventions.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import ROUND_CEILING, Decimal

from .holders import Holding
from .plan import ACCOUNT_KINDS, CENT, ZERO, Calendar, Counters, Premises, dec, interest_rate, money

TEN = Decimal(10)
WPL_TEXTS = ("Wpłata - przelew", "Wpłata - przelew", "Wpłata - przelew", "Wpłata w kasie",
             "Wpłata - polecenie zapłaty", "Wpłata na rachunek wirtualny", None)
STORNO_REASONS = ("błędna liczba osób", "błędna powierzchnia lokalu", "błędna stawka",
                  "naliczenie zdublowane")
QUARTERS = {3: "I", 6: "II", 9: "III", 12: "IV"}


class Account:
    __slots__ = ("id", "kind", "balance", "standing", "pay_day", "interest", "pending")

    def __init__(self, acc_id: int, kind: str, balance: Decimal, pay_day: int,
                 interest: bool):
        self.id = acc_id
        self.kind = kind
        self.balance = balance
        self.standing: Decimal | None = None
        self.pay_day = pay_day
        self.interest = interest
        self.pending: tuple[int, str, Decimal] | None = None


def opening_balance(rng: random.Random, profile: str, kind: str) -> Decimal:
    """The balance brought forward into the first year of data."""
    roll = rng.random()
    if kind == "ODS":
        return dec(rng.uniform(20, 600)) if profile == "P" else dec(rng.uniform(0, 40))
    scale = 1.0 if kind == "EKS" else 0.5
    if profile == "P":
        return dec(rng.uniform(300, 4000) * scale)
    if profile == "L":
        return dec(rng.uniform(50, 600) * scale)
    if profile in "ZN" or roll < 0.15:
        return -dec(rng.uniform(1, 150) * scale)
    if roll < 0.30:
        return dec(rng.uniform(5, 100) * scale)
    return ZERO


class Ledger:
    def __init__(self, cal: Calendar, ids: Counters, konta: list, salda: list, dok: list,
                 conv_date, conv_num):
        self.cal = cal
        self.ids = ids
        self.konta = konta
        self.salda = salda
        self.dok = dok
        self.d = conv_date
        self.n = conv_num
        self.days = [[conv_date(x) for x in month] for month in cal.dates]
        self.dok_ids = ids.counter("dok")

    # ---- accounts and documents ------------------------------------------
    def open(self, rng: random.Random, lok: Premises, kind: str, h: Holding) -> Account:
        acc_id = self.ids.next("konta")
        prefix, name = ACCOUNT_KINDS[kind]
        nr = f"{prefix}-{lok.building.nr}-{lok.seq:04d}-{h.seq}"
        self.konta.append((acc_id, lok.id, kind, nr, name, self.d(h.start), self.d(h.end)))
        pre = h.start < self.cal.start
        balance = opening_balance(rng, h.profile, kind) if pre else ZERO
        day = rng.randrange(11, 29) if h.profile == "L" else rng.randrange(1, 11)
        acc = Account(acc_id, kind, balance, day, h.profile in "LP" and kind != "ODS")
        self.salda.append((acc_id, self.d(self.cal.start if pre else h.start),
                           self.n(balance)))
        return acc

    def opening(self, acc: Account, day: date) -> None:
        self.salda.append((acc.id, self.d(day), self.n(acc.balance)))

    def doc(self, acc: Account, idx: int, day: int, kind: str, opis: str | None,
            wn: Decimal | None = None, ma: Decimal | None = None, kor: int | None = None,
            nr: str | None = None) -> tuple[int, str]:
        """Posts a document dated `day` of month `idx` (clamped to the month's end)."""
        if nr is None:
            nr = self.ids.nr_idx(kind, idx)
        doc_id = next(self.dok_ids)
        n = self.n
        self.dok.append((doc_id, acc.id, self.days[idx][day], nr, kind, opis, n(wn), n(ma), kor))
        if wn is not None:
            acc.balance += wn
        if ma is not None:
            acc.balance -= ma
        return doc_id, nr

    def doc_on(self, acc: Account, when: date, kind: str, opis: str | None,
               **amounts: Decimal | None) -> tuple[int, str]:
        return self.doc(acc, self.cal.index(when), when.day, kind, opis, **amounts)

    def close(self, acc: Account, day: date) -> None:
        """Brings the account to zero on the day it is closed."""
        if acc.balance > 0:
            self.doc_on(acc, day, "WPL",
                        "Wpłata - rozliczenie końcowe (zmiana użytkownika lokalu)",
                        ma=acc.balance)
        elif acc.balance < 0:
            self.doc_on(acc, day, "ZWR", "Zwrot nadpłaty - zmiana użytkownika lokalu",
                        wn=-acc.balance)

    # ---- one month of one account -----------------------------------------
    def month(self, rng: random.Random, acc: Account, h: Holding, idx: int, charge: Decimal,
              nal_text: str | None, extra: list, storno: bool) -> Decimal:
        """Posts the month's documents; returns the late-payment interest accrued."""
        first = self.cal.firsts[idx]
        ndays = self.cal.lasts[idx].day
        opening = acc.balance
        standing = acc.standing
        if standing is None or (standing < charge and rng.random() < 0.3) \
                or (standing > charge + 20 and rng.random() < 0.3):
            acc.standing = charge.quantize(Decimal(1), ROUND_CEILING)
        events = self._payments(rng, h.profile, acc)
        if extra:
            events += extra
        if storno:
            events.append((rng.randrange(12, 26), 4, "STO", None))
        if len(events) > 1:
            events.sort(key=_event_order)
        doc = self.doc
        amount = charge
        if storno:
            amount = charge + money(charge * Decimal(rng.choice(("0.12", "0.25", "-0.08", "1"))))
        nal_id, nal_nr = doc(acc, idx, 1, "NAL", nal_text, wn=amount)
        credits: list[tuple[int, Decimal]] = []
        for day, _, kind, data in events:
            if kind == "PAY":
                paid = self._amount(rng, data, acc, charge)
                if paid > 0:
                    text = "Wpłata - zlecenie stałe" if data == "standing" else \
                        "Wpłata - dopłata zaległości" if data == "topup" else \
                        rng.choice(WPL_TEXTS)
                    doc(acc, idx, day, "WPL", text, ma=paid)
                    credits.append((day, paid))
                    if rng.random() < 0.0015:       # the bank file was imported twice
                        dup_id, dup_nr = doc(acc, idx, day, "WPL", text, ma=paid)
                        doc(acc, idx, min(ndays, day + rng.randrange(2, 8)), "STO",
                            f"Storno {dup_nr} - wpłata zaksięgowana dwukrotnie",
                            ma=-paid, kor=dup_id)
            elif kind == "STO":
                doc(acc, idx, day, "STO", f"Storno {nal_nr} - {rng.choice(STORNO_REASONS)}",
                    wn=-amount, kor=nal_id)
                doc(acc, idx, day, "NAL",
                    f"Naliczenie po korekcie {first.month:02d}/{first.year}", wn=charge)
            elif kind == "BON":
                doc(acc, idx, day, "BON", "Dodatek mieszkaniowy - decyzja MOPS", ma=data)
                credits.append((day, data))
            elif kind == "ROZ":
                nr, opis, diff = data
                if diff < 0:
                    doc(acc, idx, day, "ROZ", opis, ma=-diff, nr=nr)
                    credits.append((day, -diff))
                else:
                    doc(acc, idx, day, "ROZ", opis, wn=diff, nr=nr)
        if not acc.interest:
            return ZERO
        return self._interest(opening, charge, credits, ndays, first.year)

    @staticmethod
    def _payments(rng: random.Random, profile: str, acc: Account) -> list:
        if profile == "T":
            day = min(10, max(1, acc.pay_day + rng.randrange(-2, 3)))
            if rng.random() < 0.03:
                day = rng.randrange(11, 26)
            return [(day, 3, "PAY", "full")]
        if profile == "N":
            return [(min(10, max(1, acc.pay_day + rng.randrange(-2, 3))), 3, "PAY", "round")]
        if profile == "Z":
            return [(acc.pay_day, 3, "PAY", "standing"), (rng.randrange(15, 29), 5, "PAY", "topup")]
        if profile == "L":
            return [] if rng.random() < 0.12 else [(rng.randrange(11, 29), 3, "PAY", "full")]
        if profile == "P":
            roll = rng.random()
            if roll < 0.35:
                return []
            return [(rng.randrange(5, 29), 3, "PAY", "lump" if roll > 0.94 else "partial")]
        raise ValueError(profile)

    @staticmethod
    def _amount(rng: random.Random, mode: str, acc: Account, charge: Decimal) -> Decimal:
        due = acc.balance
        if mode == "standing":
            if due < -charge and rng.random() < 0.5:
                return ZERO
            return acc.standing or ZERO
        if due <= 0:
            return ZERO
        if mode == "full" or mode == "lump":
            return due
        if mode == "round":
            return (due / TEN).quantize(Decimal(1), ROUND_CEILING) * TEN
        if mode == "topup":
            return due if due > 30 and rng.random() < 0.5 else ZERO
        if mode == "partial":
            part = (due * Decimal(repr(rng.uniform(0.3, 0.9))) / TEN).quantize(Decimal(1)) * TEN
            return max(part, TEN).quantize(CENT)
        raise ValueError(mode)

    @staticmethod
    def _interest(opening: Decimal, charge: Decimal, credits: list, ndays: int,
                  year: int) -> Decimal:
        """Interest on what is overdue: the brought-forward balance, plus this month's
        charge from the 11th (due on the 10th), less credits from their day."""
        points = sorted({1, 11, ndays + 1, *(d for d, _ in credits if d <= ndays)})
        total = ZERO
        for i in range(len(points) - 1):
            start, stop = points[i], points[i + 1]
            overdue = opening + (charge if start >= 11 else ZERO) \
                - sum((a for d, a in credits if d <= start), ZERO)
            if overdue > 0:
                total += overdue * (stop - start)
        return total * interest_rate(year) / Decimal(36500)

    def interest_doc(self, acc: Account, day: date, amount: Decimal) -> None:
        label = f"{QUARTERS.get(day.month, str(day.month))} kw. {day.year}" \
            if day.month in QUARTERS and day == self.cal.lasts[self.cal.index(day)] \
            else f"do {day:%d.%m.%Y}"
        self.doc_on(acc, day, "ODS", f"Odsetki za zwłokę - {label}", wn=money(amount))


def _event_order(event: tuple) -> tuple[int, int]:
    return event[0], event[1]
