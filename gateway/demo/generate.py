"""Deterministic generator of the demo billing database.

    build("sqlite:var/demo.sqlite", premises=300, years=5, seed=1, until=date(2026, 10, 1))

The same arguments (including `until`) give identical data: every random
choice comes from `random.Random` seeded from `seed` (never the global RNG,
never the clock). Money is Decimal quantized to 0.01 (rates 0.0001), bound as
Decimal (ODBC) or text (SQLite); dates as datetime.date or 'YYYY-MM-DD'.

Fixed scenario (exists for any premises >= 50 and years >= 2):
  ID_OS 1  Jan Kowalski, member: active co-holder (UDZIAL '1/2', SWP) of the flat
           ID_LOK 1 (water meters, replaced in April of a middle year of the
           data, one estimated reading 'S', one NAL storno on the EKS account,
           overpaid water settlements) and sole holder of the first garage.
  ID_OS 2  Anna Kowalska, member: the other '1/2' of ID_LOK 1, not of the garage.
  ID_OS 3  Zbigniew Żółtowski-Źdźbło, member: former holder of the flat ID_LOK 2;
           the assignment ends on the last day of the month twelve months
           before `until` (of November when that month is a December, so never
           on a year boundary); he holds nothing else.
  ID_OS 4  Łucja Wiśniewska, not a member: holds ID_LOK 2 (ODW) from the next day.
  ID_OS 5  Apteka „Pod Lipami” Sp. z o.o. (IMIE NULL): tenant (NAJ) of the first
           commercial premises (RODZ_LOK 'U', in building 1, ul. Lipowa).

Conventions:
  * Holder changes happen at month ends: DATA_DO = last day of a month, the
    next holder from the 1st. Garages and commercial premises declare
    LICZBA_OS 0 (nobody lives there); flats 1-5.
  * Accounts: EKS for every premises, MED for flats, ODS (interest) for holders
    who pay late. A change of holder closes the old accounts (DATA_ZAMK =
    DATA_DO) and opens new ones (DATA_OTW = the next day, opening balance 0).
  * Balances: positive = the resident owes. SALDA_BO holds the balance on
    1 January of every year an account is open (on DATA_OTW for the first year
    of an account opened inside the data range; on the first day of the data
    for older accounts) and BO(y) + Wn(y) - Ma(y) = BO(y+1).
  * Closing: an account is brought to zero on its DATA_ZAMK: a remaining debt
    by a final payment (WPL 'rozliczenie końcowe'), an overpayment by a refund
    (RODZ_DOK 'ZWR', a debit). Interest still due is charged first (ODS), and the
    utility settlement of the unfinished period is made that day (ROZ).
  * Storno ("storno czerwone", red reversal): an STO document is posted on the
    same side as the document it corrects, with the opposite sign, and
    ID_DOK_KOR points to it: a wrong charge (NAL, KWOTA_WN = x) is reversed by
    STO with KWOTA_WN = -x and re-charged by a new NAL the same day; a payment
    imported twice (WPL, KWOTA_MA = y) is reversed by STO with KWOTA_MA = -y.
    Turnover thus stays true and the balance formula needs no special case.
    NALICZENIA always hold the correct charges: for each account and month,
    sum(NAL) + sum(STO of NAL) = sum(NALICZENIA KWOTA + KWOTA_VAT).
  * Settlements (ROZL_MED): water half-years (settled in August / February),
    heat calendar years (settled in April); ZALICZKI = the advances charged in
    NALICZENIA for the period (components ZW, CW, CO), ROZNICA = KOSZT -
    ZALICZKI, posted the same day as a ROZ document with the same NR_DOK
    (underpayment KWOTA_WN, overpayment KWOTA_MA). The ZW settlement covers water
    and sewage for the whole volume (cold + hot meters), CW the heating of hot
    water, CO the heat (allocator units, or by area where there are none:
    ZUZYCIE NULL).
  * Virtual accounts: NRB = check digits + bank 10205561 + payee prefix
    2781000n + ID_LOK (8 digits); a few premises got a new one (n + 1) for a
    new holder.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ..billing import detect_dialect, writable
from .loader import OdbcLoader, SqliteLoader, read_schema
from .premises import Generator

COLUMNS: dict[str, tuple[str, ...]] = {
    "TYTULY": ("KOD_TYT", "NAZWA_TYT"),
    "SKLADNIKI": ("KOD_SKL", "NAZWA_SKL", "JEDN", "PODSTAWA", "RODZ_KONTA", "VAT_PROC"),
    "RODZ_DOK": ("RODZ_DOK", "NAZWA_RODZ"),
    "MEDIA": ("KOD_MED", "NAZWA_MED", "JEDN"),
    "BUDYNKI": ("ID_BUD", "NR_BUD_EW", "ULICA", "NR_DOMU", "KOD_POCZT", "MIASTO", "WINDA"),
    "LOKALE": ("ID_LOK", "ID_BUD", "NR_LOK", "NR_EWID", "RODZ_LOK", "POW_UZYT", "LICZBA_POK",
               "PIETRO", "LICZ_WODY"),
    "STAWKI": ("ID_STAWKI", "ID_BUD", "KOD_SKL", "CZLONEK", "STAWKA", "DATA_OD"),
    "OSOBY": ("ID_OS", "NAZWISKO", "IMIE", "NAZWA_FIRMY", "PESEL", "NR_CZL", "ADR_KORESP",
              "TELEFON", "EMAIL", "DATA_WPROW"),
    "PRZYDZIALY": ("ID_PRZ", "ID_OS", "ID_LOK", "KOD_TYT", "DATA_OD", "DATA_DO", "UDZIAL",
                   "LICZBA_OS"),
    "RACH_WIRT": ("ID_RW", "ID_LOK", "NRB", "DATA_OD", "DATA_DO"),
    "KONTA": ("ID_KONTA", "ID_LOK", "RODZ_KONTA", "NR_KONTA", "NAZWA_KONTA", "DATA_OTW",
              "DATA_ZAMK"),
    "SALDA_BO": ("ID_KONTA", "DATA_BO", "KWOTA_BO"),
    "NALICZENIA": ("ID_NAL", "ID_LOK", "OKRES", "KOD_SKL", "ILOSC", "STAWKA", "KWOTA",
                   "KWOTA_VAT"),
    "DOKUMENTY": ("ID_DOK", "ID_KONTA", "DATA_DOK", "NR_DOK", "RODZ_DOK", "OPIS", "KWOTA_WN",
                  "KWOTA_MA", "ID_DOK_KOR"),
    "LICZNIKI": ("ID_LICZ", "ID_LOK", "KOD_MED", "NR_FABR", "MIEJSCE", "DATA_MONT",
                 "DATA_DEMONT"),
    "ODCZYTY": ("ID_ODCZ", "ID_LICZ", "NR_DOK", "DATA_ODCZ", "STAN_POPRZ", "STAN_AKT",
                "ZUZYCIE", "RODZ_ODCZ"),
    "ROZL_MED": ("ID_ROZL", "ID_LOK", "ID_KONTA", "KOD_MED", "NR_DOK", "DATA_ROZL",
                 "OKRES_OD", "OKRES_DO", "ZUZYCIE", "ZALICZKI", "KOSZT", "ROZNICA"),
}
BATCH_ROWS = 20000


def default_until(today: date | None = None) -> date:
    """The first day of the previous month."""
    today = today or date.today()
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year,
                                                                       today.month - 1, 1)


class _Stopped(Exception):
    pass


def build(target: str, *, premises: int = 300, years: int = 5, seed: int = 1,
          until: date | None = None, progress: Callable[[str], None] | None = None) -> dict:
    """Builds the demo billing database into `target`; returns a summary.

    `target` is `sqlite:PATH` (the file is replaced atomically when complete)
    or an ODBC connection string (the demo tables are dropped and recreated).
    The summary: {"rows": {table: count}, "seconds": float, "dialect", "premises",
    "years", "seed", "first_month", "until"}.
    """
    if premises < 4:
        raise ValueError("premises must be at least 4")
    if years < 1:
        raise ValueError("years must be at least 1")
    until = date(until.year, until.month, 1) if until else default_until()
    say = progress or (lambda message: None)
    started = time.monotonic()
    schema = read_schema()
    dialect = detect_dialect(target)
    if target.startswith("sqlite:"):
        path = Path(target[len("sqlite:"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.build-{os.getpid()}")
        temp.unlink(missing_ok=True)
        try:
            with writable(f"sqlite:{temp}") as conn:
                loader: Any = SqliteLoader(conn, schema, COLUMNS)
                counts = _load(loader, premises, years, seed, until, True, say)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    else:
        with writable(target) as conn:
            loader = OdbcLoader(conn, schema, COLUMNS, dialect)
            try:
                counts = _load(loader, premises, years, seed, until, False, say)
            except BaseException:
                loader.abort()
                raise
    seconds = round(time.monotonic() - started, 1)
    say(f"done in {seconds} s: {sum(counts.values())} rows")
    first_month = date(until.year - years + 1, 1, 1)
    return {"rows": dict(sorted(counts.items())), "seconds": seconds, "dialect": dialect,
            "premises": premises, "years": years, "seed": seed,
            "first_month": first_month.isoformat(), "until": until.isoformat()}


def _load(loader: Any, premises: int, years: int, seed: int, until: date, sqlite: bool,
          say: Callable[[str], None]) -> dict[str, int]:
    """Generates in a worker thread and writes in this one (the connection's own)."""
    loader.prepare()
    items: queue.Queue = queue.Queue(maxsize=6)
    stop = threading.Event()

    def put(item: tuple) -> None:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped

    def produce() -> None:
        try:
            generator = Generator(premises=premises, years=years, seed=seed, until=until,
                                  sqlite=sqlite, flush=lambda t, rows: put(("rows", t, rows)),
                                  progress=lambda message: put(("progress", message)))
            put(("done", generator.run(BATCH_ROWS)))
        except _Stopped:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed over to the writing thread
            with contextlib.suppress(_Stopped):
                put(("error", exc))

    worker = threading.Thread(target=produce, name="demo-generator", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item[0] == "rows":
                loader.insert(item[1], item[2])
            elif item[0] == "progress":
                say(item[1])
            elif item[0] == "error":
                raise item[1]
            else:
                counts = item[1]
                break
    finally:
        stop.set()
        worker.join()
    loader.finish(say)
    return counts
