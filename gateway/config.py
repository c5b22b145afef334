"""Settings: read `config.ini`, validate every value, report the first bad key.

Every setting is declared once in SETTINGS; the INI file, a test mapping and
the defaults all pass through the same parser, so a typo is a one-line error
naming `section.key`, never a traceback.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = "config.ini"
INSECURE_KEYS = {"", "change-me", "changeme", "dev", "secret", "zmien-mnie"}


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the key."""


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "tak"}:
        return True
    if value in {"0", "false", "no", "off", "nie"}:
        return False
    raise ValueError("oczekiwano true albo false (także tak/nie, 1/0)")


def _int(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        expected = f"oczekiwano liczby całkowitej od {low} do {high}"
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(expected) from None  # not Python's "invalid literal for int()"
        if not low <= value <= high:
            raise ValueError(expected)
        return value

    return parse


def _float(low: float, high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        expected = f"oczekiwano liczby od {low} do {high} (z kropką dziesiętną)"
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError(expected) from None
        if not low <= value <= high:
            raise ValueError(expected)
        return value

    return parse


def _text(raw: str) -> str:
    return raw.strip()


NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def nip_valid(nip: str) -> bool:
    """A 10-digit Polish NIP with a valid check digit (weights 6,5,7,2,3,4,5,6,7, mod 11)."""
    if len(nip) != 10 or not nip.isascii() or not nip.isdigit():
        return False
    check = sum(int(d) * w for d, w in zip(nip, NIP_WEIGHTS, strict=False)) % 11
    return check != 10 and check == int(nip[9])


def _nip(raw: str) -> str:
    """Empty (the transfer code then carries no NIP) or a valid NIP; dashes allowed."""
    value = raw.strip().replace("-", "").replace(" ", "")
    if value and not nip_valid(value):
        raise ValueError("oczekiwano 10 cyfr prawidłowego NIP (zgodnego z cyfrą kontrolną), "
                         "np. 526-025-02-74")
    return value


def _qr_name(raw: str) -> str:
    """The recipient's name in the transfer code: 1-20 characters, no '|'."""
    value = raw.strip()
    if not value or len(value) > 20 or "|" in value:
        raise ValueError("oczekiwano od 1 do 20 znaków, bez znaku |")
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError("oczekiwano jednej z wartości: " + ", ".join(options))
        return value

    return parse


@dataclass(frozen=True)
class Setting:
    section: str
    key: str
    parse: Callable[[str], Any]
    default: str | None  # None = required

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"

    @property
    def flask_key(self) -> str:
        return f"{self.section}_{self.key}".upper()


SETTINGS: tuple[Setting, ...] = (
    # [portal]
    Setting("portal", "secret_key", _text, ""),
    Setting("portal", "secret_key_file", _text, ""),
    Setting("portal", "cooperative_name", _text, "Spółdzielnia Mieszkaniowa „Przykładowa”"),
    Setting("portal", "cooperative_address", _text, "ul. Przykładowa 1, 97-400 Bełchatów"),
    Setting("portal", "office", _text, "dział czynszów i opłat, pokój nr 4"),
    Setting("portal", "office_hours", _text, "pon.–pt. 8:00–15:00, wt. do 17:00"),
    Setting("portal", "office_phone", _text, ""),
    Setting("portal", "payee_name", _text, "Spółdzielnia Mieszkaniowa „Przykładowa”"),
    Setting("portal", "payee_address", _text, "ul. Przykładowa 1, 97-400 Bełchatów"),
    # the ZBP transfer QR code on Pulpit and Wirtualne rachunki
    Setting("portal", "payee_nip", _nip, ""),
    Setting("portal", "qr_recipient_name", _qr_name, "SM Przykładowa"),
    Setting("portal", "posting_note", _text,
            "Wpłata pojawia się w portalu po zaksięgowaniu, zwykle w ciągu 2–3 dni roboczych."),
    Setting("portal", "context_words", _text, ""),
    Setting("portal", "https", _bool, "false"),
    Setting("portal", "hsts_include_subdomains", _bool, "true"),
    Setting("portal", "queries_dir", _text, ""),
    Setting("portal", "templates_dir", _text, ""),
    # [billing]
    Setting("billing", "connection", _text, None),
    Setting("billing", "connect_timeout", _int(1, 120), "5"),
    Setting("billing", "query_timeout", _int(1, 600), "10"),
    Setting("billing", "dialect", _choice("auto", "sqlite", "postgresql", "mariadb", "mssql",
                                          "firebird", "other"), "auto"),
    Setting("billing", "max_rows", _int(10, 1_000_000), "5000"),
    Setting("billing", "reuse_connections", _bool, "true"),
    Setting("billing", "max_concurrent", _int(1, 256), "8"),
    # [store]
    Setting("store", "path", _text, "var/portal-store.sqlite3"),
    # [security]
    Setting("security", "idle_timeout_minutes", _int(1, 24 * 60), "30"),
    Setting("security", "absolute_timeout_hours", _int(1, 72), "12"),
    Setting("security", "start_password_days", _int(1, 365), "14"),
    Setting("security", "max_failures", _int(3, 100), "5"),
    Setting("security", "first_delay_seconds", _int(1, 3600), "60"),
    Setting("security", "failure_window_minutes", _int(1, 7 * 24 * 60), "1440"),
    Setting("security", "lockout_minutes", _int(1, 24 * 60), "60"),
    Setting("security", "account_max_failures_per_hour", _int(1, 100), "100"),
    Setting("security", "address_max_failures", _int(5, 10_000), "50"),
    Setting("security", "address_window_minutes", _int(1, 24 * 60), "15"),
    Setting("security", "require_second_factor", _bool, "false"),
    Setting("security", "argon2_time_cost", _int(1, 20), "3"),
    Setting("security", "argon2_memory_kib", _int(8 * 1024, 1024 * 1024), "65536"),
    Setting("security", "argon2_parallelism", _int(1, 16), "2"),
    # [cache]
    Setting("cache", "ttl_seconds", _int(0, 3600), "300"),
    Setting("cache", "max_entries", _int(1, 1_000_000), "5000"),
    # [server]
    Setting("server", "host", _text, "127.0.0.1"),
    Setting("server", "port", _int(1, 65535), "8080"),
    Setting("server", "threads", _int(1, 64), "8"),
    Setting("server", "connection_limit", _int(10, 10_000), "200"),
    Setting("server", "channel_timeout", _int(5, 600), "30"),
    Setting("server", "max_request_body", _int(1024, 100 * 1024 * 1024), "65536"),
    Setting("server", "trusted_proxy", _text, ""),
    Setting("server", "trusted_proxy_headers", _text, "x-forwarded-for x-forwarded-proto"),
    Setting("server", "url_scheme", _choice("http", "https"), "http"),
    # [logging]
    Setting("logging", "dir", _text, "var/log"),
    Setting("logging", "level", _choice("debug", "info", "warning", "error"), "info"),
    Setting("logging", "max_bytes", _int(10_000, 1_000_000_000), "10485760"),
    Setting("logging", "backups", _int(0, 100), "10"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    """--config PATH, else GATEWAY_CONFIG, else ./config.ini."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("GATEWAY_CONFIG")
    return Path(env) if env else Path(DEFAULT_CONFIG)


def read_ini(path: Path) -> dict[str, str]:
    """Flatten an INI file into {'section.key': raw text}; unknown keys are errors."""
    if not path.is_file():
        raise ConfigError(f"nie znaleziono pliku konfiguracji: {path} (skopiuj config.example.ini)")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open(encoding="utf-8-sig") as handle:  # Notepad writes a BOM
            parser.read_file(handle)
    except (configparser.Error, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"{path}: nie da się odczytać: {first}") from None
    raw: dict[str, str] = {}
    for section in parser.sections():
        for key, value in parser.items(section):
            name = f"{section}.{key}"
            if name not in BY_NAME:
                raise ConfigError(f"{name}: nieznane ustawienie w {path}")
            raw[name] = value
    return raw


def parse_settings(raw: Mapping[str, Any], base_dir: Path) -> dict[str, Any]:
    """Validate raw values into Flask config keys (BILLING_CONNECTION, ...)."""
    for name in raw:
        if name not in BY_NAME:
            raise ConfigError(f"{name}: nieznane ustawienie")
    out: dict[str, Any] = {}
    for setting in SETTINGS:
        value = raw.get(setting.name, setting.default)
        if value is None:
            raise ConfigError(f"{setting.name}: brak wymaganego ustawienia")
        if isinstance(value, str):
            try:
                value = setting.parse(value)
            except ValueError as exc:
                raise ConfigError(
                    f"{setting.name}: nieprawidłowa wartość {value!r}: {exc}") from None
        out[setting.flask_key] = value
    if not out["BILLING_CONNECTION"]:
        raise ConfigError("billing.connection: wymagane ustawienie jest puste")
    _check_guess_rate(out)
    out["SECRET_KEY"] = _secret_key(out, base_dir)
    for key, default in (("PORTAL_QUERIES_DIR", "queries"), ("PORTAL_TEMPLATES_DIR", "templates")):
        out[key] = _resolve(out[key] or str(PROJECT_DIR / default), base_dir)
    out["STORE_PATH"] = _resolve(out["STORE_PATH"], base_dir)
    out["LOGGING_DIR"] = _resolve(out["LOGGING_DIR"], base_dir)
    out["BILLING_CONNECTION"] = _resolve_sqlite(out["BILLING_CONNECTION"], base_dir)
    return out


MAX_GUESSES_PER_HOUR = 100


def _check_guess_rate(out: dict[str, Any]) -> None:
    """An attacker gets max_failures tries per lockout: never more than 100 an hour."""
    cycles = -(-60 // out["SECURITY_LOCKOUT_MINUTES"])  # lockouts that fit in an hour
    tries = out["SECURITY_MAX_FAILURES"] * cycles
    if tries > MAX_GUESSES_PER_HOUR:
        raise ConfigError(
            f"security.max_failures: {out['SECURITY_MAX_FAILURES']} nieudanych prób na "
            f"{out['SECURITY_LOCKOUT_MINUTES']} minut blokady to {tries} prób odgadnięcia "
            f"hasła na godzinę; zmniejsz tę wartość albo wydłuż security.lockout_minutes "
            f"(najwyżej {MAX_GUESSES_PER_HOUR} na godzinę)")


def _secret_key(out: dict[str, Any], base_dir: Path) -> str:
    """The key comes from GATEWAY_SECRET_KEY, a file, or the INI (in that order)."""
    env = os.environ.get("GATEWAY_SECRET_KEY", "").strip()
    if env:
        return env
    if out["PORTAL_SECRET_KEY_FILE"]:
        path = _resolve(out["PORTAL_SECRET_KEY_FILE"], base_dir)
        try:
            return path.read_text(encoding="utf-8-sig").strip()  # Notepad adds a BOM
        except OSError as exc:
            raise ConfigError(f"portal.secret_key_file: nie da się odczytać {path}: "
                              f"{exc.strerror}") from None
    return out["PORTAL_SECRET_KEY"]


def check_secret_key(key: str) -> None:
    """Refuse to serve with a missing, default or short key."""
    if key.strip().lower() in INSECURE_KEYS:
        raise ConfigError("portal.secret_key: brak klucza albo wartość przykładowa; "
                          "wygeneruj klucz poleceniem: gateway secret")
    if len(key) < 32:
        raise ConfigError("portal.secret_key: za krótki (co najmniej 32 znaki)")


def _resolve(value: str, base_dir: Path) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (base_dir / path)


def _resolve_sqlite(connection: str, base_dir: Path) -> str:
    """Make `sqlite:relative/path` relative to the config file, not the cwd."""
    if connection.startswith("sqlite:"):
        path = _resolve(connection[len("sqlite:"):], base_dir)
        return f"sqlite:{path}"
    return connection


def load(path: str | os.PathLike | None = None, overrides: Mapping[str, Any] | None = None
         ) -> dict[str, Any]:
    """Load settings from the INI file at `path` (see config_path) plus overrides.

    `overrides` uses the INI names ('billing.connection'); values may be raw
    strings or already typed.
    """
    ini = config_path(path)
    raw: dict[str, Any] = read_ini(ini)
    raw.update(overrides or {})
    return parse_settings(raw, ini.resolve().parent)


def from_mapping(mapping: Mapping[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
    """Settings from a mapping of INI names only (tests)."""
    return parse_settings(dict(mapping), base_dir or Path.cwd())
