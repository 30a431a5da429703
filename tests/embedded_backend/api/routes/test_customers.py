"""/api/v1/customers on SQLite, PostgreSQL and MariaDB: CPF and CNPJ verified."""

from __future__ import annotations

from tests.embedded_backend.api.support import (
    assert_problem,
    make_customer,
    make_product,
    new_cnpj,
    new_cpf,
    without_times,
)
from tests.helpers.live import LiveServer

URL = "/api/v1/customers"

# (as typed, as stored, kind)
VALID = [
    ("529.982.247-25", "52998224725", "cpf"),
    ("52998224725", "52998224725", "cpf"),
    (" 111.444.777-35 ", "11144477735", "cpf"),
    ("11.222.333/0001-81", "11222333000181", "cnpj"),
    ("11222333000181", "11222333000181", "cnpj"),
    ("12.ABC.345/01DE-35", "12ABC34501DE35", "cnpj"),
    ("12abc34501de35", "12ABC34501DE35", "cnpj"),
]

INVALID = [
    "529.982.247-26",  # CPF, last check digit wrong
    "529.982.247-15",  # CPF, first check digit wrong
    "111.111.111-11",  # all the same digit (check digits "match")
    "000.000.000-00",
    "11.222.333/0001-82",  # CNPJ, last digit wrong
    "11.222.333/0001-71",  # CNPJ, first digit wrong
    "12.ABC.345/01DE-36",  # alphanumeric CNPJ, wrong digit
    "12.ABC.345/01DE-3X",  # check digits must be numeric
    "11.111.111/1111-11",
    "1234567890",  # 10 digits
    "123456789012",  # 12 digits
    "abcdefghijk",
    "",
    "529982247250000000000000000000000",
]


def test_valid_documents_accepted_and_normalised(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        for typed, stored, kind in VALID:
            r = c.post(URL, json={"name": "X", "document": typed})
            assert r.status_code == 201, (typed, r.text)
            assert (r.json()["document"], r.json()["document_type"]) == (stored, kind), typed
            assert c.get(f"{URL}/{r.json()['id']}").json()["document"] == stored
            assert c.delete(f"{URL}/{r.json()['id']}").status_code == 204


def test_invalid_documents_are_422(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        for document in INVALID:
            r = c.post(URL, json={"name": "X", "document": document})
            body = assert_problem(r, 422)
            assert any("document" in e["loc"] for e in body["errors"]), (document, body)
        assert c.get(URL).json()["total"] == 0


def test_crud_and_documents(server: LiveServer) -> None:
    with server.client() as c:
        r = c.post(
            URL,
            json={
                "name": "Maria da Silva",
                "document": "529.982.247-25",
                "email": "maria@example.com",
                "phone": "+55 (11) 91234-5678",
            },
        )
        assert r.status_code == 201, r.text
        maria = r.json()
        assert maria["id"] >= 1
        assert maria["document"] == "52998224725" and maria["document_type"] == "cpf"
        assert maria["email"] == "maria@example.com"
        assert maria["phone"] == "+55 (11) 91234-5678"

        company = make_customer(c, name="Empresa Nova", document="12.ABC.345/01DE-35")
        assert company["document"] == "12ABC34501DE35" and company["document_type"] == "cnpj"
        numeric = make_customer(c, name="Empresa Antiga", document="11.222.333/0001-81")
        assert numeric["document_type"] == "cnpj"

        got = c.get(f"{URL}/{maria['id']}").json()
        assert without_times(got) == without_times(maria)

        r = c.patch(f"{URL}/{maria['id']}", json={"name": "Maria S. Souza", "phone": None})
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "Maria S. Souza" and r.json()["phone"] is None
        assert r.json()["document"] == "52998224725"

        r = c.patch(f"{URL}/{maria['id']}", json={"document": "111.444.777-35"})
        assert r.status_code == 200 and r.json()["document"] == "11144477735"
        assert_problem(c.patch(f"{URL}/{maria['id']}", json={"document": "111.444.777-36"}), 422)
        assert c.get(f"{URL}/{maria['id']}").json()["document"] == "11144477735"

        listing = c.get(URL, params={"limit": 2}).json()
        assert listing["total"] == 3
        assert [x["id"] for x in listing["items"]] == [maria["id"], company["id"]]
        assert [x["id"] for x in c.get(URL, params={"offset": 2}).json()["items"]] == [
            numeric["id"]
        ]

        assert c.delete(f"{URL}/{numeric['id']}").status_code == 204
        assert_problem(c.get(f"{URL}/{numeric['id']}"), 404)
        assert c.get(URL).json()["total"] == 2


def test_bad_fields_refused_and_generated_documents_accepted(server: LiveServer) -> None:
    with server.client() as c:
        for body in [
            {"name": "X", "document": "529.982.247-26"},
            {"name": "X", "document": "12.ABC.345/01DE-36"},
            {"name": "X", "document": new_cpf(), "email": "not-an-email"},
            {"name": "X", "document": new_cpf(), "phone": "call me maybe"},
        ]:
            assert_problem(c.post(URL, json=body), 422)
        assert c.get(URL).json() == {"items": [], "total": 0}
        for document in [new_cpf() for _ in range(3)] + [new_cnpj() for _ in range(3)]:
            make_customer(c, document=document)
        assert c.get(URL).json()["total"] == 6


def test_customer_with_orders_cannot_be_deleted(server: LiveServer) -> None:
    with server.client() as c:
        customer = make_customer(c)
        product = make_product(c)
        r = c.post(
            "/api/v1/orders",
            json={
                "customer_id": customer["id"],
                "items": [{"product_id": product["id"], "quantity": 1}],
            },
        )
        assert r.status_code == 201
        assert_problem(c.delete(f"{URL}/{customer['id']}"), 409)
        assert c.get(f"{URL}/{customer['id']}").status_code == 200
