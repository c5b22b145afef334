"""queries/amount_due.sql equals the test's own SQL (embedded demo database).

Not yet covered: the three new assignment shapes and the ODBC backends (see the
report of issue 14); today the opening of a mid-year co-holder is still missing.
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
                           "today": today})
    got = [(r["premises"], r["account"],
            (r["opening"] or 0) + (r["debit"] or 0) - (r["credit"] or 0)) for r in found]
    t = today.isoformat()
    want = [(r["premises"], r["account"], Decimal(str(r["due"])).quantize(Decimal("0.01")))
            for r in demo_sql(EXPECTED, (start, t, start, t, resident, t, t, t, t))]
    assert got == want
    if resident != 3:                     # 3 holds nothing today
        assert got
