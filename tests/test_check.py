"""`gateway check`: what the IT admin runs after adapting queries/ to the real schema."""

from __future__ import annotations

import shutil

from gateway import create_app
from gateway.config import PROJECT_DIR


def check(settings, *args: str):
    from click.testing import CliRunner

    from gateway.cli import Context, main

    obj = Context(None)
    obj._app = create_app(test_config=settings)
    return CliRunner().invoke(main, ["check", *args], obj=obj, catch_exceptions=False)


def broken_queries(tmp_path, settings, name: str, old: str, new: str) -> None:
    """Point `settings` at a copy of queries/ where `name`.sql has `old` replaced."""
    folder = tmp_path / "queries"
    shutil.copytree(PROJECT_DIR / "queries", folder)
    path = folder / f"{name}.sql"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    settings["portal.queries_dir"] = str(folder)


def test_check_passes_on_the_demo_database(settings):
    result = check(settings)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    shipped = sorted(p.stem for p in (PROJECT_DIR / "queries").glob("*.sql"))
    for name in shipped:
        assert any(line.startswith(f"ok   {name}:") for line in lines), name
    assert any(line.startswith("ok   staff/residents_directory:") for line in lines)
    assert "FAIL" not in result.output


def test_a_broken_query_fails_with_one_line_naming_it(settings, tmp_path):
    broken_queries(tmp_path, settings, "rent_components", "NALICZENIA n", "NALICZENIA_X n")
    result = check(settings)
    assert result.exit_code == 1
    fails = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and fails[0].startswith("FAIL rent_components:")
    assert "Traceback" not in result.output
    # The other queries still ran and passed.
    assert "ok   ledger_summary:" in result.output


def test_a_missing_promised_column_fails(settings, tmp_path):
    broken_queries(tmp_path, settings, "virtual_accounts", "w.NRB AS nrb", "w.NRB AS numer")
    result = check(settings)
    assert result.exit_code == 1
    assert "FAIL virtual_accounts:" in result.output and "nrb" in result.output


def test_a_query_that_writes_is_refused_before_anything_runs(settings, tmp_path):
    broken_queries(tmp_path, settings, "resident_profile", "SELECT o.ID_OS",
                   "DELETE FROM OSOBY WHERE ID_OS = :resident; SELECT o.ID_OS")
    folder = settings["portal.queries_dir"]
    from click.testing import CliRunner

    from gateway.cli import main

    config = tmp_path / "config.ini"
    lines = ["[billing]", f"connection = {settings['billing.connection']}", "[portal]",
             f"queries_dir = {folder}", "[store]", f"path = {tmp_path / 's.sqlite3'}",
             "[logging]", f"dir = {tmp_path / 'log'}"]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "check"])
    assert result.exit_code == 2
    assert result.output.strip().startswith("błąd: resident_profile:")


def test_check_reports_an_unreachable_database(settings, tmp_path):
    settings["billing.connection"] = f"sqlite:{tmp_path / 'missing.sqlite3'}"
    result = check(settings)
    assert result.exit_code == 1
    assert result.output.startswith("FAIL connection:")


def test_demo_build_to_an_unreachable_server_is_one_line(tmp_path):
    from click.testing import CliRunner

    from gateway.cli import main

    target = "DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=1;DATABASE=x;UID=postgres"
    result = CliRunner().invoke(main, ["demo", "build", "--premises", "10", "--target", target])
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("błąd: baza rozliczeniowa niedostępna")
    assert "Traceback" not in result.output


def test_a_resident_who_does_not_exist_fails_with_one_clear_line(settings, demo_sql):
    nobody = demo_sql("SELECT MAX(ID_OS) + 1000 FROM OSOBY")[0][0]
    result = check(settings, "--resident", str(nobody))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"FAIL resident {nobody}: nie ma takiej osoby w bazie rozliczeniowej (ID_OS); "
        "podaj numer mieszkańca z przydziałem lokalu")
    assert "ok   rent_components" not in result.output  # nothing "passes" on no rows


def test_a_person_without_any_assignment_fails_with_one_clear_line(settings, billing_copy):
    billing_copy("INSERT INTO OSOBY (ID_OS, IMIE, NAZWISKO) VALUES (987654, 'Jan', 'Bezlokalu')")
    settings["billing.connection"] = billing_copy.connection
    result = check(settings, "--resident", "987654")
    assert result.exit_code == 1
    assert "FAIL resident 987654: ta osoba nie ma przydziału żadnego lokalu" in result.output
