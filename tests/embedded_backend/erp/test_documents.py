"""CPF and CNPJ check digits, as property tests against a textbook implementation."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from embedded_backend.erp.documents import (
    InvalidDocument,
    cnpj_check_digits,
    cpf_check_digits,
    is_valid_cnpj,
    is_valid_cpf,
    normalize_document,
)
from tests.embedded_backend.api.support import cnpj_digits, cpf_digits

DIGITS = "0123456789"
ALNUM = DIGITS + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

cpf_bodies = st.text(DIGITS, min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)
cnpj_numeric_bodies = st.text(DIGITS, min_size=12, max_size=12).filter(lambda s: len(set(s)) > 1)
cnpj_alnum_bodies = st.text(ALNUM, min_size=12, max_size=12).filter(lambda s: len(set(s)) > 1)


def _other_digit(d: str, shift: int) -> str:
    return str((int(d) + shift) % 10)


def format_cpf(n: str) -> str:
    return f"{n[:3]}.{n[3:6]}.{n[6:9]}-{n[9:]}"


def format_cnpj(n: str) -> str:
    return f"{n[:2]}.{n[2:5]}.{n[5:8]}/{n[8:12]}-{n[12:]}"


# -- CPF -------------------------------------------------------------------------------------


@given(cpf_bodies)
@example("529982247")
@example("111444777")
def test_cpf_with_computed_digits_is_valid(body: str) -> None:
    digits = cpf_digits(body)
    assert cpf_check_digits(body) == digits
    assert is_valid_cpf(body + digits)
    assert normalize_document(body + digits) == (body + digits, "cpf")


@given(cpf_bodies, st.integers(0, 1), st.integers(1, 9))
def test_cpf_with_one_check_digit_changed_is_invalid(body: str, which: int, shift: int) -> None:
    good = body + cpf_digits(body)
    i = 9 + which
    bad = good[:i] + _other_digit(good[i], shift) + good[i + 1 :]
    assert not is_valid_cpf(bad)
    with pytest.raises(InvalidDocument, match="CPF"):
        normalize_document(bad)


@given(st.sampled_from(DIGITS))
def test_cpf_all_same_digit_rejected(d: str) -> None:
    assert not is_valid_cpf(d * 11)
    with pytest.raises(InvalidDocument):
        normalize_document(format_cpf(d * 11))


@given(cpf_bodies)
def test_cpf_formatting_ignored(body: str) -> None:
    number = body + cpf_digits(body)
    for typed in (
        format_cpf(number),
        f"  {format_cpf(number)} ",
        f"{number[:3]} {number[3:]}",
        f"{number[:9]}-{number[9:]}",
    ):
        assert normalize_document(typed) == (number, "cpf")


def test_known_cpfs() -> None:
    assert normalize_document("529.982.247-25") == ("52998224725", "cpf")
    assert normalize_document("111.444.777-35") == ("11144477735", "cpf")
    for bad in ("529.982.247-24", "111.444.777-53", "123.456.789-00"):
        with pytest.raises(InvalidDocument):
            normalize_document(bad)


# -- CNPJ ------------------------------------------------------------------------------------


@given(st.one_of(cnpj_numeric_bodies, cnpj_alnum_bodies))
@example("112223330001")
@example("12ABC34501DE")
def test_cnpj_with_computed_digits_is_valid(body: str) -> None:
    digits = cnpj_digits(body)
    assert cnpj_check_digits(body) == digits
    assert is_valid_cnpj(body + digits)
    assert normalize_document(body + digits) == (body + digits, "cnpj")


@given(st.one_of(cnpj_numeric_bodies, cnpj_alnum_bodies), st.integers(0, 1), st.integers(1, 9))
def test_cnpj_with_one_check_digit_changed_is_invalid(body: str, which: int, shift: int) -> None:
    good = body + cnpj_digits(body)
    i = 12 + which
    bad = good[:i] + _other_digit(good[i], shift) + good[i + 1 :]
    assert not is_valid_cnpj(bad)
    with pytest.raises(InvalidDocument, match="CNPJ"):
        normalize_document(bad)


@given(cnpj_alnum_bodies, st.sampled_from("ABCXYZ"), st.integers(0, 1))
def test_cnpj_check_digits_must_be_numeric(body: str, letter: str, which: int) -> None:
    good = body + cnpj_digits(body)
    i = 12 + which
    bad = good[:i] + letter + good[i + 1 :]
    with pytest.raises(InvalidDocument):
        normalize_document(bad)


@given(st.sampled_from(ALNUM))
def test_cnpj_all_same_character_rejected(c: str) -> None:
    assert not is_valid_cnpj(c * 14)
    with pytest.raises(InvalidDocument):
        normalize_document(c * 14)


@given(st.one_of(cnpj_numeric_bodies, cnpj_alnum_bodies))
def test_cnpj_formatting_and_case_ignored(body: str) -> None:
    number = body + cnpj_digits(body)
    for typed in (
        format_cnpj(number),
        format_cnpj(number).lower(),
        f" {number.lower()} ",
        f"{number[:8]}/{number[8:12]}-{number[12:]}",
    ):
        assert normalize_document(typed) == (number, "cnpj")


def test_known_cnpjs() -> None:
    assert normalize_document("11.222.333/0001-81") == ("11222333000181", "cnpj")
    # The example of the 2026 alphanumeric CNPJ published by the Receita Federal.
    assert normalize_document("12.ABC.345/01DE-35") == ("12ABC34501DE35", "cnpj")
    for bad in ("11.222.333/0001-18", "12.ABC.345/01DE-53", "12.ABC.345/01DE-3"):
        with pytest.raises(InvalidDocument):
            normalize_document(bad)


# -- anything else -----------------------------------------------------------------------------


@given(st.text(max_size=40))
def test_arbitrary_text_either_normalises_or_raises_invalid_document(text: str) -> None:
    try:
        number, kind = normalize_document(text)
    except InvalidDocument as exc:
        assert str(exc)
        return
    assert number.isascii()
    if kind == "cpf":
        assert len(number) == 11 and number.isdigit() and is_valid_cpf(number)
    else:
        assert len(number) == 14 and is_valid_cnpj(number)
        assert number[12:].isdigit() and number.isascii()


def test_non_ascii_digits_rejected() -> None:
    # Full-width digits pass str.isdigit() and regex \\d; they are not a CPF.
    body = "５２９９８２２４７"
    for typed in (body + cpf_check_digits(body), body + "25", "52998224７25"):
        with pytest.raises(InvalidDocument):
            normalize_document(typed)
        assert not is_valid_cpf(typed)
    assert not is_valid_cnpj("11222333000１81")


@given(st.text(DIGITS, min_size=1, max_size=20).filter(lambda s: len(s) not in (11, 14)))
def test_wrong_lengths_rejected(digits: str) -> None:
    with pytest.raises(InvalidDocument, match=r"CPF .* or a CNPJ"):
        normalize_document(digits)
