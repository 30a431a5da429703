"""Brazilian taxpayer documents: CPF (people) and CNPJ (companies), check digits verified.

CNPJ accepts the alphanumeric form in force since July 2026 (12 characters 0-9/A-Z plus
two numeric check digits); each character counts as its ASCII code minus 48, which keeps
the old all-digit numbers valid.
"""

from __future__ import annotations

import re
from typing import Literal

DocumentType = Literal["cpf", "cnpj"]

_SEPARATORS = re.compile(r"[.\-/\s]")
_CPF = re.compile(r"[0-9]{11}")  # not \d: that also matches non-ASCII digits
_CNPJ = re.compile(r"[0-9A-Z]{12}[0-9]{2}")


class InvalidDocument(ValueError):
    """The text is not a valid CPF or CNPJ; the message says why."""


def _value(char: str) -> int:
    return ord(char) - 48


def _cpf_digit(body: str) -> int:
    weight = len(body) + 1
    total = sum(_value(c) * (weight - i) for i, c in enumerate(body))
    rest = (total * 10) % 11
    return 0 if rest == 10 else rest


def _cnpj_digit(body: str) -> int:
    weights = [2, 3, 4, 5, 6, 7, 8, 9]
    total = sum(_value(c) * weights[i % 8] for i, c in enumerate(reversed(body)))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def cpf_check_digits(first9: str) -> str:
    d1 = _cpf_digit(first9)
    d2 = _cpf_digit(first9 + str(d1))
    return f"{d1}{d2}"


def cnpj_check_digits(first12: str) -> str:
    d1 = _cnpj_digit(first12)
    d2 = _cnpj_digit(first12 + str(d1))
    return f"{d1}{d2}"


def is_valid_cpf(digits: str) -> bool:
    if not _CPF.fullmatch(digits) or len(set(digits)) == 1:
        return False
    return cpf_check_digits(digits[:9]) == digits[9:]


def is_valid_cnpj(text: str) -> bool:
    if not _CNPJ.fullmatch(text) or len(set(text)) == 1:
        return False
    return cnpj_check_digits(text[:12]) == text[12:]


def normalize_document(raw: str) -> tuple[str, DocumentType]:
    """Strip punctuation, verify the check digits, return (normalised, kind).

    Raises InvalidDocument with a message fit for the person who typed it.
    """
    text = _SEPARATORS.sub("", raw).upper()
    if len(text) == 11 and text.isdigit():
        if not is_valid_cpf(text):
            raise InvalidDocument("CPF check digits do not match; check the number typed")
        return text, "cpf"
    if len(text) == 14:
        if not _CNPJ.fullmatch(text):
            raise InvalidDocument("CNPJ must have 12 letters or digits followed by 2 check digits")
        if not is_valid_cnpj(text):
            raise InvalidDocument("CNPJ check digits do not match; check the number typed")
        return text, "cnpj"
    raise InvalidDocument("document must be a CPF (11 digits) or a CNPJ (14 characters)")
