"""CPF/CNPJ validation as properties, against the textbook check-digit algorithm.

The oracle is ``tests.embedded_backend.api.support`` (written from the published rules,
not from the product's code). test_documents.py pins known numbers and the check digits;
here the properties are about typing: every formatting of a valid number gives one
canonical form, the product agrees with the oracle on every one-character change, and
nothing but :class:`InvalidDocument` ever comes out. The last test does the same through
the real API on a live server.

Why "agrees with the oracle" and not "any one changed digit is refused": the mod-11
scheme maps remainders 0 and 1 to the same check digit, so about 1 in 500 single changes
of a *body* digit keeps both check digits (CPF 187.747.527-07 and 087.747.527-07 are both
valid). Changing a *check* digit is always caught, and that is asserted outright.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from embedded_backend.erp.documents import InvalidDocument, normalize_document
from tests.embedded_backend.api.support import assert_problem, cnpj_digits, cpf_digits
from tests.helpers.live import LiveServer

DIGITS = string.digits
ALNUM = DIGITS + string.ascii_uppercase
SEPARATORS = ".-/ \t"  # what a person types between groups (and around the number)
MESSAGES = (
    "CPF check digits do not match; check the number typed",
    "CNPJ must have 12 letters or digits followed by 2 check digits",
    "CNPJ check digits do not match; check the number typed",
    "document must be a CPF (11 digits) or a CNPJ (14 characters)",
)

FAST = settings(max_examples=400, deadline=None)


def oracle_valid(text: str) -> bool:
    """Is ``text`` (canonical: no separators, upper case) a valid CPF or CNPJ?"""
    if not text.isascii() or len(set(text)) == 1:
        return False
    if len(text) == 11 and text.isdigit():
        return cpf_digits(text[:9]) == text[9:]
    if len(text) == 14 and all(c in ALNUM for c in text[:12]) and text[12:].isdigit():
        return cnpj_digits(text[:12]) == text[12:]
    return False


def _not_repeated(body: str) -> bool:
    return len(set(body)) > 1


@st.composite
def valid_cpfs(draw: st.DrawFn) -> str:
    body = draw(st.text(DIGITS, min_size=9, max_size=9).filter(_not_repeated))
    return body + cpf_digits(body)


@st.composite
def valid_cnpjs(draw: st.DrawFn) -> str:
    alphabet = draw(st.sampled_from((DIGITS, ALNUM)))  # the old numeric and the 2026 form
    body = draw(st.text(alphabet, min_size=12, max_size=12).filter(_not_repeated))
    return body + cnpj_digits(body)


valid_documents = st.one_of(valid_cpfs(), valid_cnpjs())


@st.composite
def typed(draw: st.DrawFn, number: str) -> str:
    """``number`` as a person may type it: separators between any characters, blanks
    around it, letters in either case."""
    out = draw(st.text(" \t", max_size=2))
    for i, char in enumerate(number):
        if i and draw(st.booleans()):
            out += draw(st.text(SEPARATORS, min_size=1, max_size=2))
        out += char.lower() if char.isalpha() and draw(st.booleans()) else char
    return out + draw(st.text(" \t\n", max_size=2))


def punctuated(number: str) -> str:
    """The official mask: 000.000.000-00 or 00.000.000/0000-00."""
    if len(number) == 11:
        return f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}"
    return f"{number[:2]}.{number[2:5]}.{number[5:8]}/{number[8:12]}-{number[12:]}"


def kind_of(number: str) -> str:
    return "cpf" if len(number) == 11 else "cnpj"


# -- accepted in any formatting, one canonical form -------------------------------------------


def with_typing(number: str) -> st.SearchStrategy[tuple[str, str]]:
    return st.tuples(st.just(number), typed(number))


@FAST
@given(valid_documents.flatmap(with_typing))
@example(("52998224725", "529.982.247-25"))  # the README's example CPF
@example(("12ABC34501DE35", "12.abc.345/01de-35"))  # the Receita Federal's example CNPJ
def test_a_valid_document_is_accepted_in_any_formatting(number_typed: tuple[str, str]) -> None:
    number, text = number_typed
    canonical = (number, kind_of(number))
    assert oracle_valid(number)
    for variant in (number, punctuated(number), text):
        assert normalize_document(variant) == canonical, variant


@FAST
@given(st.one_of(valid_documents.flatmap(typed), st.text(max_size=40)))
def test_normalising_is_idempotent(text: str) -> None:
    try:
        number, kind = normalize_document(text)
    except InvalidDocument:
        return
    assert normalize_document(number) == (number, kind)
    assert normalize_document(punctuated(number)) == (number, kind)


# -- refused: the product agrees with the oracle -------------------------------------------


@st.composite
def one_change(draw: st.DrawFn) -> tuple[str, str]:
    """A valid number and the same number with one character changed."""
    number = draw(valid_documents)
    i = draw(st.integers(0, len(number) - 1))
    alphabet = DIGITS if len(number) == 11 or i >= 12 else ALNUM
    new = draw(st.sampled_from(alphabet).filter(lambda c: c != number[i]))
    return number, number[:i] + new + number[i + 1 :]


@FAST
@given(one_change())
@example(("18774752707", "08774752707"))  # both valid: a change the CPF digits miss
@example(("71147759745900", "71147759945900"))  # and one the CNPJ digits miss
def test_one_changed_character_is_refused_exactly_when_the_check_digits_say_so(
    pair: tuple[str, str],
) -> None:
    number, changed = pair
    if changed[-2:] != number[-2:]:
        assert not oracle_valid(changed)  # a changed check digit is always caught
    if oracle_valid(changed):
        assert normalize_document(punctuated(changed)) == (changed, kind_of(changed))
    else:
        with pytest.raises(InvalidDocument, match="check digits do not match"):
            normalize_document(punctuated(changed))


@FAST
@given(
    st.one_of(
        st.text(DIGITS, min_size=11, max_size=11),
        st.text(ALNUM, min_size=12, max_size=12).map(lambda b: b + "00"),
        st.text(DIGITS, min_size=14, max_size=14),
    )
)
def test_the_product_and_the_oracle_agree_on_random_numbers(number: str) -> None:
    try:
        got: tuple[str, str] | None = normalize_document(number)
    except InvalidDocument:
        got = None
    assert got == ((number, kind_of(number)) if oracle_valid(number) else None)


@given(st.sampled_from(DIGITS), st.booleans())
def test_repeated_digit_documents_are_refused_however_typed(digit: str, cnpj: bool) -> None:
    number = digit * (14 if cnpj else 11)
    # 000.000.000-00 and 00.000.000/0000-00 pass the mod-11 test; they are not documents.
    for text in (number, punctuated(number)):
        with pytest.raises(InvalidDocument, match="check digits do not match"):
            normalize_document(text)


# -- anything else: only the documented error -----------------------------------------------


near_misses = st.one_of(
    st.text(DIGITS + SEPARATORS, max_size=20),
    st.text(ALNUM + string.ascii_lowercase + SEPARATORS, min_size=12, max_size=20),
    valid_documents.map(lambda n: n[:-1]),  # one character short
    valid_documents.map(lambda n: n + "0"),  # one too many
    valid_documents.map(lambda n: n.translate(str.maketrans(DIGITS, "٠١٢٣٤٥٦٧٨٩"))),
    valid_documents.map(lambda n: n.translate(str.maketrans(DIGITS, "０１２３４５６７８９"))),
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), near_misses))
def test_any_text_normalises_or_raises_only_the_documented_error(text: str) -> None:
    try:
        number, kind = normalize_document(text)
    except InvalidDocument as exc:
        assert str(exc) in MESSAGES
        return
    assert oracle_valid(number) and kind == kind_of(number)


# -- through the API ------------------------------------------------------------------------


@pytest.fixture
def client(sqlite_server: LiveServer) -> Iterator[httpx.Client]:
    with sqlite_server.client() as c:
        yield c


# One server for all examples (starting one per example would take minutes): the health
# check about function-scoped fixtures is about exactly that sharing, which is wanted.
API = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@API
@given(number_typed=valid_documents.flatmap(with_typing))
def test_api_stores_a_valid_document_in_canonical_form(
    client: httpx.Client, number_typed: tuple[str, str]
) -> None:
    number, text = number_typed
    r = client.post("/api/v1/customers", json={"name": "Cliente", "document": text})
    assert r.status_code == 201, r.text
    assert (r.json()["document"], r.json()["document_type"]) == (number, kind_of(number))
    assert client.delete(f"/api/v1/customers/{r.json()['id']}").status_code == 204


@API
@given(
    text=st.one_of(
        valid_documents.map(lambda n: n[:-1] + str((int(n[-1]) + 1) % 10)),
        near_misses.filter(lambda t: t.strip() != ""),
        st.sampled_from(["000.000.000-00", "11.111.111/1111-11", "529.982.247-24"]),
    ).filter(lambda t: not oracle_valid(t.translate(str.maketrans("", "", SEPARATORS)).upper()))
)
def test_api_refuses_an_invalid_document_with_a_plain_message(
    client: httpx.Client, text: str
) -> None:
    r = client.post("/api/v1/customers", json={"name": "Cliente", "document": text})
    body = assert_problem(r, 422)
    (error,) = [e for e in body["errors"] if e["loc"][-1] == "document"]
    assert any(message in error["msg"] for message in MESSAGES) or "string" in error["msg"], error
    assert "Traceback" not in r.text and 'File "' not in r.text
