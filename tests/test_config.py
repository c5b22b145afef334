"""Settings: one clear line naming the key for every bad or missing value."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, check_secret_key, load


def write(tmp_path, text: str):
    path = tmp_path / "config.ini"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_with_every_default(tmp_path):
    from gateway.config import PROJECT_DIR

    settings = load(PROJECT_DIR / "config.example.ini")
    assert settings["BILLING_CONNECTION"].startswith("sqlite:")
    assert settings["SECURITY_IDLE_TIMEOUT_MINUTES"] == 30
    assert settings["SECURITY_ABSOLUTE_TIMEOUT_HOURS"] == 12
    assert settings["PORTAL_OFFICE"] == "dział czynszów i opłat, pokój nr 4"


@pytest.mark.parametrize(("text", "key"), [
    ("[portal]\n", "billing.connection"),
    ("[billing]\nconnection = sqlite:x\nquery_timeout = abc\n", "billing.query_timeout"),
    ("[billing]\nconnection = sqlite:x\n[server]\nport = 70000\n", "server.port"),
    ("[billing]\nconnection = sqlite:x\n[portal]\nhttps = maybe\n", "portal.https"),
    ("[billing]\nconnection = sqlite:x\ncolour = blue\n", "billing.colour"),
])
def test_bad_settings_name_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, text))
    assert str(info.value).startswith(key)
    assert "\n" not in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="nie znaleziono pliku konfiguracji"):
        load(tmp_path / "nope.ini")


def test_gateway_config_variable_is_used(tmp_path, monkeypatch):
    path = write(tmp_path, "[billing]\nconnection = sqlite:demo.db\n")
    monkeypatch.setenv("GATEWAY_CONFIG", str(path))
    settings = load(None)
    # Relative paths are relative to the config file, not the working folder.
    assert settings["BILLING_CONNECTION"] == f"sqlite:{tmp_path / 'demo.db'}"


def test_polish_text_and_bom_are_read(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes("\ufeff[billing]\nconnection = sqlite:x\n[portal]\n"
                     "cooperative_name = SM „Łąkowa” w Żninie\n".encode())
    assert load(path)["PORTAL_COOPERATIVE_NAME"] == "SM „Łąkowa” w Żninie"


def test_secret_key_from_file_and_environment(tmp_path, monkeypatch):
    (tmp_path / "key.txt").write_text("f" * 40 + "\n", encoding="utf-8")
    path = write(tmp_path, "[billing]\nconnection = sqlite:x\n[portal]\n"
                           "secret_key_file = key.txt\n")
    assert load(path)["SECRET_KEY"] == "f" * 40
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "e" * 40)
    assert load(path)["SECRET_KEY"] == "e" * 40


@pytest.mark.parametrize("key", ["", "change-me", "short"])
def test_default_or_short_secret_keys_are_refused(key):
    with pytest.raises(ConfigError, match="portal.secret_key"):
        check_secret_key(key)


@pytest.mark.parametrize(("failures", "lockout", "ok"), [
    ("10", "15", True),    # the defaults: at most 40 guesses an hour
    ("100", "60", True),   # exactly the ceiling
    ("50", "15", False),   # 200 an hour
    ("20", "5", False),    # 240 an hour
])
def test_lockout_settings_never_allow_more_than_100_guesses_an_hour(tmp_path, failures,
                                                                     lockout, ok):
    path = write(tmp_path, f"[billing]\nconnection = sqlite:x\n[security]\n"
                           f"max_failures = {failures}\nlockout_minutes = {lockout}\n")
    if ok:
        load(path)
    else:
        with pytest.raises(ConfigError,
                           match="^security.max_failures: .* prób odgadnięcia hasła na godzinę"):
            load(path)


@pytest.mark.parametrize(("key", "value", "words"), [
    ("server.port", "80800", "oczekiwano liczby całkowitej od 1 do 65535"),
    ("server.port", "osiem", "oczekiwano liczby całkowitej od 1 do 65535"),
    ("portal.https", "może", "oczekiwano true albo false"),
    ("billing.dialect", "oracle", "oczekiwano jednej z wartości: auto, sqlite"),
])
def test_a_bad_value_is_one_polish_line_naming_the_key_and_the_form(tmp_path, key, value,
                                                                    words):
    """Issue 22.14: the admin reads which key and what it takes, never a Python error."""
    from gateway.config import parse_settings

    with pytest.raises(ConfigError) as caught:
        parse_settings({"billing.connection": "sqlite:x.sqlite3", key: value}, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{key}: nieprawidłowa wartość {value!r}: {words}"), message
    assert "invalid literal" not in message and "\n" not in message
