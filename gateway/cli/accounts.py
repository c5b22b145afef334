"""Staff commands: `gateway accounts ...` and `gateway residents find`.

Start passwords are printed once and never stored in clear; every action is
audited with the operator's OS user name.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..billing import person_name, premises_address, staff_db, staff_queries
from ..store import Account, passwords, second_factor
from ..store import accounts as acc
from .common import fail, staff_command

EXIT_NOT_FOUND = 4


def _describe(account: Account) -> dict[str, Any]:
    return {
        "login": account.login, "resident": account.resident,
        "must_change": account.must_change, "locked": account.locked,
        "locked_by_staff": account.locked_by_staff,
        "locked_until": account.locked_until.isoformat() if account.locked_until else None,
        "start_expires": account.start_expires.isoformat() if account.start_expires else None,
        "created": account.created.isoformat() if account.created else None,
        "last_login": account.last_login.isoformat() if account.last_login else None,
        "failures": account.failures,
        "second_factor": second_factor.enabled(account.id),
    }


def _slip(account: Account, start: str, as_json: bool) -> None:
    expires = account.start_expires.date().isoformat() if account.start_expires else None
    if as_json:
        click.echo(json.dumps({"login": account.login, "start_password": start,
                               "resident": account.resident, "expires": expires},
                              ensure_ascii=False))
        return
    click.echo(f"Login:           {account.login}")
    click.echo(f"Hasło startowe:  {start}")
    click.echo(f"Mieszkaniec:     {account.resident}")
    click.echo(f"Ważne do:        {expires}")
    click.echo("Hasło startowe jest pokazane tylko teraz: przepisz je na kartkę dla mieszkańca.")


def _resident_directory() -> list[dict[str, Any]]:

    return staff_db().run(staff_queries()["residents_directory"], {"today": date.today()})


@click.group()
def accounts() -> None:
    """Konta mieszkańców (dla pracowników biura)."""


@accounts.command()
@click.argument("resident")
@click.option("--login", default=None, help="Własny login (domyślnie wygenerowany).")
@click.option("--json", "as_json", is_flag=True, help="Wynik jako obiekt JSON.")
@click.option("--no-check", is_flag=True, help="Nie sprawdzaj mieszkańca w bazie rozliczeniowej.")
@staff_command
def create(resident: str, login: str | None, as_json: bool, no_check: bool) -> None:
    """Create an account for RESIDENT (number in the billing database)."""

    if not no_check and not any(str(r["resident"]) == resident
                                for r in _resident_directory()):
        fail(f"nie ma mieszkańca o numerze {resident!r} z przydziałem lokalu",
             EXIT_NOT_FOUND)
    account, start = acc.create(resident, login)
    _slip(account, start, as_json)


@accounts.command()
@click.argument("login")
@click.option("--json", "as_json", is_flag=True, help="Wynik jako obiekt JSON.")
@click.option("--also-2fa", "also_2fa", is_flag=True,
              help="Usuń też drugi składnik logowania (po sprawdzeniu tożsamości).")
@staff_command
def reset(login: str, as_json: bool, also_2fa: bool) -> None:
    """Issue a new start password for LOGIN; ends all its sessions."""
    account, start = acc.reset(login, also_second_factor=also_2fa)
    _slip(account, start, as_json)


@accounts.command("reset-2fa")
@click.argument("login")
@staff_command
def reset_2fa(login: str) -> None:
    """Usuń drugi składnik logowania konta LOGIN (zgubiony telefon), po sprawdzeniu
    tożsamości mieszkańca; kończy wszystkie jego sesje. Hasło zostaje."""
    if acc.reset_second_factor(login):
        click.echo(f"Usunięto drugi składnik konta {login}. Mieszkaniec loguje się hasłem "
                   "i może włączyć nowy na stronie Bezpieczeństwo.")
    else:
        click.echo(f"Konto {login} nie miało drugiego składnika; zakończono jego sesje.")


def _simple(action: Callable[[str], Account], message: str) -> Callable[[str], None]:
    @staff_command
    def command(login: str) -> None:
        click.echo(message.format(login=action(login).login))

    return command


accounts.command("lock", help="Lock LOGIN (ends its sessions) until unlocked.")(
    click.argument("login")(_simple(acc.lock, "Zablokowano konto {login}.")))
accounts.command("unlock", help="Unlock LOGIN and clear its failed-login counter.")(
    click.argument("login")(_simple(acc.unlock, "Odblokowano konto {login}.")))


@accounts.command()
@click.argument("login")
@click.option("--json", "as_json", is_flag=True)
@staff_command
def show(login: str, as_json: bool) -> None:
    """Show one account (never its password)."""
    info = _describe(acc.require(login))
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
    else:
        for key, value in info.items():
            click.echo(f"{key:16} {value}")


@accounts.command("list")
@click.option("--locked", is_flag=True, help="Tylko zablokowane.")
@click.option("--never-logged-in", is_flag=True, help="Tylko te, które nigdy się nie logowały.")
@click.option("--json", "as_json", is_flag=True)
@staff_command
def list_accounts(locked: bool, never_logged_in: bool, as_json: bool) -> None:
    """List accounts."""
    found = [_describe(a) for a in acc.listing(locked, never_logged_in)]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False))
        return
    for a in found:
        state = "zablokowane" if a["locked"] else \
            "hasło startowe" if a["must_change"] else "aktywne"
        click.echo(f"{a['login']:24} mieszkaniec {a['resident']:>8}  {state:16} "
                   f"ostatnie logowanie: {a['last_login'] or 'nigdy'}")
    click.echo(f"Razem: {len(found)}")


@accounts.command()
@click.option("--all", "all_", is_flag=True, required=True,
              help="Dla wszystkich mieszkańców z aktywnym przydziałem i bez konta.")
@click.option("--out", "out", default="startowe", show_default=True, metavar="PREFIX",
              help="Pliki wynikowe: PREFIX.txt (kartki do wydruku) i PREFIX.csv.")
@staff_command
def issue(all_: bool, out: str) -> None:
    """Create start credentials for every active resident without an account."""
    directory = _resident_directory()
    names: dict[str, dict[str, Any]] = {}
    for row in directory:
        if row["active"]:
            names.setdefault(str(row["resident"]), row)
    todo = [r for r in names if acc.by_resident(r) is None]
    txt, csv_path = Path(f"{out}.txt"), Path(f"{out}.csv")
    with txt.open("w", encoding="utf-8") as slips, \
            csv_path.open("w", encoding="utf-8-sig", newline="") as table:
        writer = csv.writer(table, delimiter=";")
        writer.writerow(["mieszkaniec", "nazwa", "adres", "login", "haslo_startowe",
                         "wazne_do"])
        with click.progressbar(todo, label="Zakładanie kont", file=None) as bar:
            for resident in bar:
                account, start = acc.create(resident)
                row = names[resident]
                name = person_name(row)
                address = premises_address(row, with_city=True)
                expires = account.start_expires.date().isoformat() \
                    if account.start_expires else ""
                writer.writerow([resident, name, address, account.login, start,
                                 expires])
                slips.write(_slip_text(name, address, account.login, start, expires))
    from ..store import audit

    audit.record("staff_issue", None, detail=f"created={len(todo)}")
    click.echo(f"Założono {len(todo)} kont. Kartki: {txt}, tabela: {csv_path}. "
               "Pliki zawierają hasła: wydrukuj i usuń.")


def _slip_text(name: str, address: str, login: str, start: str, expires: str) -> str:
    from flask import current_app

    cfg = current_app.config
    return (f"{cfg['PORTAL_COOPERATIVE_NAME']} – Portal Obsługi Mieszkańców\n"
            f"{name}, {address}\n\n"
            f"  Login:          {login}\n  Hasło startowe: {start}\n"
            f"  Ważne do:       {expires}\n\n"
            "Po pierwszym logowaniu portal poprosi o ustalenie własnego hasła.\n"
            f"Pytania: {cfg['PORTAL_OFFICE']}\n" + "-" * 60 + "\n\f")


@accounts.command()
@click.argument("path", type=click.Path(dir_okay=False))
@staff_command
def backup(path: str) -> None:
    """Copy the accounts store to PATH (safe while the portal runs)."""
    from flask import current_app

    from ..store import backup as copy_store

    summary = copy_store(current_app.config["STORE_PATH"], Path(path))
    click.echo(f"Kopia magazynu kont zapisana: {path} "
               f"(kont: {summary['accounts']}, wersja schematu {summary['version']})")


@accounts.command()
@click.argument("path", type=click.Path(dir_okay=False, exists=True))
@click.option("--yes", is_flag=True, help="Bez pytania o potwierdzenie.")
@staff_command
def restore(path: str, yes: bool) -> None:
    """Put the backup PATH back as the accounts store (stop the portal first)."""
    from flask import current_app

    from ..store import restore as restore_store

    target = current_app.config["STORE_PATH"]
    if not yes:
        click.confirm(f"Zastąpić magazyn kont {target} kopią {path}? Portal musi być "
                      "zatrzymany", abort=True)
    summary = restore_store(Path(path), target)
    click.echo(f"Przywrócono magazyn kont z {path} (kont: {summary['accounts']}). "
               "Mieszkańcy logują się ponownie.")


@click.group()
def residents() -> None:
    """Wyszukiwanie mieszkańców w bazie rozliczeniowej (dla pracowników biura)."""


@residents.command()
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Wynik jako lista obiektów JSON.")
@staff_command
def find(text: str, as_json: bool) -> None:
    """Find residents by name, address, premises number or resident number."""
    needle = passwords.fold(text.strip())
    found: dict[str, dict[str, Any]] = {}
    for row in _resident_directory():
        name, address = person_name(row), premises_address(row, with_city=True)
        haystack = passwords.fold(" ".join([str(row["resident"]), name, address,
                                   row["register_no"] or ""]))
        if needle and needle in haystack:
            item = found.setdefault(str(row["resident"]), {
                "resident": row["resident"], "name": name, "address": address,
                "premises": [], "active": False,
                "account": None})
            item["premises"].append(row["register_no"])
            item["active"] = item["active"] or bool(row["active"])
    for resident, item in found.items():
        account = acc.by_resident(resident)
        item["account"] = account.login if account else None
    if as_json:
        click.echo(json.dumps(list(found.values()), ensure_ascii=False))
        return
    for item in found.values():
        click.echo(f"{item['resident']:>8}  {item['name']:40} {item['address']:40} "
                   f"{'aktywny' if item['active'] else 'były'}  "
                   f"konto: {item['account'] or '—'}")
    if not found:
        click.echo("Nie znaleziono.")
