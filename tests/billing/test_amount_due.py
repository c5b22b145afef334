"""queries/amount_due.sql equals the test's own SQL (embedded demo database).

The ODBC backends answer the same (tests/test_backends.py runs every query's
cases on each).
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.billing import BillingDB, QuerySet

QUERIES = Path(__file__).resolve().parents[2] / "queries"
EXPECTED = """
SELECT k.ID_LOK AS premises, k.ID_KONTA AS account,
       COALESCE((SELECT SUM(b.KWOTA_BO) FROM SALDA_BO b
                 WHERE b.ID_KONTA = k.ID_KONTA AND b.DATA_BO BETWEEN ? AND ?
                   AND b.DATA_BO >= p.DATA_OD), 0)
     + COALESCE((SELECT SUM(d.KWOTA_WN) - SUM(d.KWOTA_MA) FROM DOKUMENTY d
                 WHERE d.ID_KONTA = k.ID_KONTA AND d.DATA_DOK BETWEEN ? AND ?
                   AND d.DATA_DOK >= p.DATA_OD), 0) AS due
FROM PRZYDZIALY p JOIN KONTA k ON k.ID_LOK = p.ID_LOK
WHERE p.ID_OS = ? AND p.DATA_OD <= ? AND (p.DATA_DO IS NULL OR p.DATA_DO >= ?)
  AND k.DATA_OTW <= ? AND (k.DATA_ZAMK IS NULL OR k.DATA_ZAMK >= ?)
ORDER BY k.ID_LOK, k.RODZ_KONTA, k.ID_KONTA
"""


@pytest.mark.parametrize("resident", [1, 2, 3, 4, 5])
def test_amount_due_equals_the_tests_own_sql(demo_path, demo_sql, resident):
    db = BillingDB(f"sqlite:{demo_path}")
    query = QuerySet(QUERIES, db.dialect, need_resident=True)["amount_due"]
    today = date.today()
    start = date(today.year, 1, 1).isoformat()
    found = db.run(query, {"resident": resident, "date_from": date(today.year, 1, 1),
                           "today": today, "since": today})
    got = [(r["premises"], r["account"],
            (r["opening"] or 0) + (r["debit"] or 0) - (r["credit"] or 0)) for r in found]
    t = today.isoformat()
    want = [(r["premises"], r["account"], Decimal(str(r["due"])).quantize(Decimal("0.01")))
            for r in demo_sql(EXPECTED, (start, t, start, t, resident, t, t, t, t))]
    assert got == want
    if resident != 3:                     # 3 holds nothing today
        assert got


LAST_EVENTS = """
SELECT k.ID_KONTA AS account, p.DATA_OD AS held_from FROM PRZYDZIALY p
JOIN KONTA k ON k.ID_LOK = p.ID_LOK
WHERE p.ID_OS = ? AND p.DATA_OD <= ? AND (p.DATA_DO IS NULL OR p.DATA_DO >= ?)
  AND k.DATA_OTW <= ? AND (k.DATA_ZAMK IS NULL OR k.DATA_ZAMK >= ?)
"""


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("resident", [1, 2, 4, 5, 7])
def test_last_payment_settlement_and_new_documents_equal_the_tests_own_reading(
        demo_path, demo_sql, resident):
    """Per account: the newest payment (WPL) and settlement day with that day's sums,
    and the documents dated after the previous visit, all inside the assignment."""
    db = BillingDB(f"sqlite:{demo_path}")
    query = QuerySet(QUERIES, db.dialect, need_resident=True)["amount_due"]
    today = date.today()
    since = date(today.year, 3, 15)
    found = {r["account"]: r for r in db.run(query, {
        "resident": resident, "date_from": date(today.year, 1, 1), "today": today,
        "since": since})}
    t = today.isoformat()
    held = demo_sql(LAST_EVENTS, (resident, t, t, t, t))
    assert set(found) == {h["account"] for h in held}
    for h in held:
        start = str(h["held_from"])
        docs = [d for d in demo_sql("SELECT DATA_DOK, RODZ_DOK, KWOTA_MA FROM DOKUMENTY "
                                    "WHERE ID_KONTA = ?", (h["account"],))
                if start <= str(d["DATA_DOK"]) <= t]
        paid = [d for d in docs if d["RODZ_DOK"] == "WPL"]
        row = found[h["account"]]
        if paid:
            last = max(str(d["DATA_DOK"]) for d in paid)
            assert str(row["last_payment_on"]) == last
            assert row["last_payment"] == sum(_money(d["KWOTA_MA"]) for d in paid
                                              if str(d["DATA_DOK"]) == last)
        else:
            assert row["last_payment_on"] is None and row["last_payment"] is None
        settled = [r for r in demo_sql("SELECT DATA_ROZL, ROZNICA FROM ROZL_MED "
                                       "WHERE ID_KONTA = ?", (h["account"],))
                   if start <= str(r["DATA_ROZL"]) <= t]
        if settled:
            last = max(str(r["DATA_ROZL"]) for r in settled)
            assert str(row["last_settled_on"]) == last
            assert row["last_settlement"] == sum(_money(r["ROZNICA"]) for r in settled
                                                 if str(r["DATA_ROZL"]) == last)
        else:
            assert row["last_settled_on"] is None
        assert row["documents_since"] == sum(1 for d in docs
                                             if str(d["DATA_DOK"]) > since.isoformat())
