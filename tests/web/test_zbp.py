"""The ZBP transfer-code payload and its validators (pure functions)."""

from decimal import Decimal

import pytest
from qrread import decoded

from gateway.web.zbp import (
    NO_AMOUNT,
    ZbpError,
    amount_field,
    amount_fits,
    nip_valid,
    nrb_valid,
    payload,
    transfer,
)

NRB = "92124012340001567890123456"   # the ZBP document's example account


def test_the_documents_example_payload():
    assert payload("1234567890", NRB, "001200", "Odbiorca 1", "FV 1234/34/2012") == \
        "1234567890|PL|92124012340001567890123456|001200|Odbiorca 1|FV 1234/34/2012|||"


def test_the_example_without_an_amount_and_without_nip():
    assert payload("1234567890", NRB, "000000", "Odbiorca 1", "FV 1234/34/2012") == \
        "1234567890|PL|92124012340001567890123456|000000|Odbiorca 1|FV 1234/34/2012|||"
    assert payload("", NRB, "001200", "Odbiorca 1", "FV 1234/34/2012") == \
        "|PL|92124012340001567890123456|001200|Odbiorca 1|FV 1234/34/2012|||"


def test_nine_fields_and_utf8():
    text = transfer("", NRB, Decimal("12.00"), "SM Łąka", "Lokal 01-0001 12/2026")
    assert text.split("|")[3] == "001200" and len(text.split("|")) == 9
    assert len(text) <= 160 and text.encode("utf-8").decode("utf-8") == text


@pytest.mark.parametrize(("amount", "field"), [
    (Decimal("12.00"), "001200"), (Decimal("0.01"), "000001"),
    (Decimal("9999.99"), "999999"), (Decimal("10000.00"), NO_AMOUNT),
    (Decimal("0.00"), NO_AMOUNT), (Decimal("-15.30"), NO_AMOUNT), (None, NO_AMOUNT)])
def test_amount_in_grosze(amount, field):
    assert amount_field(amount) == field
    assert amount_fits(amount) == (field != NO_AMOUNT)


def test_the_documents_example_nip_fails_the_checksum_and_a_real_one_passes():
    assert not nip_valid("1234567890")
    assert nip_valid("5260250274")        # weights 6,5,7,2,3,4,5,6,7 mod 11
    for bad in ("526025027", "52602502740", "526-025-02-7", "5260250275", "",
                "５２６０２５０２７４"):
        assert not nip_valid(bad)


def test_nrb_check_digits():
    assert nrb_valid(NRB)
    assert not nrb_valid("93124012340001567890123456")
    assert not nrb_valid(NRB[:-1])
    assert not nrb_valid(NRB[:-1] + "x")


@pytest.mark.parametrize(("args", "word"), [
    (("", "93124012340001567890123456", "001200", "Odbiorca", "T"), "NRB"),
    (("12345", NRB, "001200", "Odbiorca", "T"), "NIP"),
    (("", NRB, "001200", "Odbiorca", "FV|1234"), "title"),
    (("", NRB, "001200", "Odb|iorca", "T"), "name"),
    (("", NRB, "001200", "O" * 21, "T"), "name"),
    (("", NRB, "001200", "Odbiorca", "T" * 33), "title"),
    (("", NRB, "1200", "Odbiorca", "T"), "amount"),
    (("", NRB, "-01200", "Odbiorca", "T"), "amount"),
    (("", NRB, "1000000", "Odbiorca", "T"), "amount"),
])
def test_refused(args, word):
    with pytest.raises(ZbpError, match=word):
        payload(*args)


@pytest.mark.parametrize(("key", "value"), [
    ("portal.payee_nip", "1234567890"), ("portal.payee_nip", "12345"),
    ("portal.qr_recipient_name", "x" * 21), ("portal.qr_recipient_name", "SM|Lipa"),
    ("portal.qr_recipient_name", " ")])
def test_config_refuses_a_bad_nip_or_recipient_name_naming_the_key(tmp_path, key, value):
    from gateway.config import ConfigError, from_mapping

    with pytest.raises(ConfigError) as refused:
        from_mapping({"billing.connection": "sqlite:x.sqlite3", key: value}, tmp_path)
    message = str(refused.value)
    assert message.startswith(key) and "\n" not in message


def test_config_takes_a_valid_nip_with_dashes(tmp_path):
    from gateway.config import from_mapping

    out = from_mapping({"billing.connection": "sqlite:x.sqlite3",
                        "portal.payee_nip": "526-025-02-74"}, tmp_path)
    assert out["PORTAL_PAYEE_NIP"] == "5260250274"
    assert out["PORTAL_QR_RECIPIENT_NAME"] == "SM Przykładowa"


@pytest.mark.parametrize("amount", [Decimal("1234.56"), Decimal("-87.10")])
def test_the_png_decodes_back_to_the_exact_payload(tmp_path, amount):
    from gateway.web.zbp import qr_png

    text = transfer("5260250274", NRB, amount, "SM Łąka", "Opłaty 01-0001 12/2026")
    png = qr_png(text)
    width = int.from_bytes(png[16:20], "big")     # IHDR width
    assert width >= 250
    assert decoded(png, tmp_path) == text


def test_the_svg_has_no_style_attribute_and_a_title():
    from gateway.web.zbp import qr_svg

    svg = qr_svg(transfer("", NRB, Decimal("5.00"), "SM", "T"), "Kod QR przelewu")
    assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg
    assert "<title>Kod QR przelewu</title>" in svg
