"""The billing database, read-only: the layer's one face.

Other layers use only the names below. `driver` is the one module that
imports a database driver (pyodbc, sqlite3 for the embedded demo); `queries`
loads the named SQL files; `values` turns driver values into Decimal/date;
`reads` runs resident-scoped queries with the resident filled in from the
logged-in account; `staff` is the staff CLI's own connection and queries;
`labels` formats a person's name and a premises' address; `tsql_check` checks
query files as T-SQL (sqlglot) for SQL Server.
"""

from .driver import BillingDB, BillingUnavailable, detect_dialect, effective_connection, writable
from .labels import KINDS, person_name, premises_address, premises_label
from .queries import Query, QueryError, QuerySet, parse_query
from .reads import (
    cached_rows,
    derived,
    forget_resident,
    fresh_rows,
    init_app,
    resident_key,
    rows,
    warm_lists,
)
from .staff import staff_db, staff_queries
from .tsql_check import Problem, check_folder

__all__ = [
    "KINDS", "BillingDB", "BillingUnavailable", "Problem", "Query", "QueryError", "QuerySet",
    "check_folder",
    "cached_rows", "derived", "detect_dialect", "effective_connection", "forget_resident",
    "fresh_rows", "init_app", "parse_query", "person_name", "premises_address",
    "premises_label", "resident_key", "rows", "staff_db", "staff_queries", "warm_lists",
    "writable",
]
