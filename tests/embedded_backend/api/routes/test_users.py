"""/api/v1/users: administrators only; staff get 403."""

from __future__ import annotations

from tests.embedded_backend.api.support import (
    assert_problem,
    make_customer,
    make_product,
    make_user,
)
from tests.helpers.live import LiveServer

URL = "/api/v1/users"


def test_user_crud_and_list_shape(server: LiveServer) -> None:
    with server.client() as c:
        first = c.get(URL).json()
        assert first["total"] == 1 and first["items"][0]["username"] == "admin"

        r = c.post(URL, json={"username": "carla", "password": "carla-senha-1"})
        assert r.status_code == 201, r.text
        carla = r.json()
        assert carla["role"] == "staff" and carla["is_active"] is True
        assert set(carla) == {"id", "username", "role", "is_active", "created_at"}
        boss = make_user(c, username="chefe", role="admin")
        assert boss["role"] == "admin"

        assert c.get(f"{URL}/{carla['id']}").json()["username"] == "carla"
        listing = c.get(URL, params={"limit": 2, "offset": 1}).json()
        assert listing["total"] == 3
        assert [u["username"] for u in listing["items"]] == ["carla", "chefe"]
        assert "password" not in c.get(URL).text and "argon2" not in c.get(URL).text

        r = c.patch(f"{URL}/{carla['id']}", json={"role": "admin"})
        assert r.status_code == 200 and r.json()["role"] == "admin"

        assert c.delete(f"{URL}/{carla['id']}").status_code == 204
        assert_problem(c.get(f"{URL}/{carla['id']}"), 404)
        assert_problem(c.delete(f"{URL}/{carla['id']}"), 404)
        assert_problem(c.patch(f"{URL}/{carla['id']}", json={"role": "staff"}), 404)
        assert c.get(URL).json()["total"] == 2

        assert_problem(c.post(URL, json={"username": "chefe", "password": "outra-senha-1"}), 409)
        assert_problem(c.post(URL, json={"username": "admin", "password": "outra-senha-1"}), 409)
        assert c.get(URL).json()["total"] == 2


def test_invalid_users_are_422(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        for body in [
            {"username": "x", "password": "short"},
            {"username": "x", "password": "long-enough", "role": "root"},
            {"username": "has space", "password": "long-enough"},
            {"username": "", "password": "long-enough"},
            {"username": "<script>", "password": "long-enough"},
            {"username": "x", "password": "long-enough", "is_admin": True},
            {"password": "long-enough"},
        ]:
            assert_problem(c.post(URL, json=body), 422)
        assert_problem(c.patch(f"{URL}/1", json={"role": "root"}), 422)
        assert_problem(c.patch(f"{URL}/1", json={"username": "renamed"}), 422)
        assert c.get(URL).json()["total"] == 1


def test_staff_cannot_manage_users_or_delete(server: LiveServer) -> None:
    with server.client() as c:
        staff_user = make_user(c, username="staff1", password="staff-senha-1")
        customer = make_customer(c)
        product = make_product(c)
    token = server.login("staff1", "staff-senha-1")
    with server.client(token=token) as staff:
        assert_problem(staff.get(URL), 403)
        assert_problem(staff.get(f"{URL}/{staff_user['id']}"), 403)
        assert_problem(staff.post(URL, json={"username": "x", "password": "x-senha-123"}), 403)
        # Not even to promote themselves.
        assert_problem(staff.patch(f"{URL}/{staff_user['id']}", json={"role": "admin"}), 403)
        assert_problem(staff.delete(f"{URL}/{staff_user['id']}"), 403)
        assert_problem(staff.delete(f"/api/v1/customers/{customer['id']}"), 403)
        assert_problem(staff.delete(f"/api/v1/products/{product['id']}"), 403)
        assert_problem(staff.get("/api/v1/admin/routers"), 403)
        assert_problem(staff.get("/api/v1/admin/audit"), 403)

        # Staff do the daily work.
        assert staff.get("/api/v1/customers").status_code == 200
        assert (
            staff.patch(f"/api/v1/products/{product['id']}", json={"stock": 42}).status_code == 200
        )
    with server.client() as c:
        assert c.get(f"{URL}/{staff_user['id']}").json()["role"] == "staff"
        assert c.get(URL).json()["total"] == 2
        assert c.get(f"/api/v1/customers/{customer['id']}").status_code == 200
        assert c.get(f"/api/v1/products/{product['id']}").json()["stock"] == 42


def test_promoted_user_gets_admin_rights_on_next_request(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        user = make_user(c, username="promo", password="promo-senha-1")
    token = sqlite_server.login("promo", "promo-senha-1")
    with sqlite_server.client(token=token) as promo:
        assert_problem(promo.get(URL), 403)
        with sqlite_server.client() as c:
            c.patch(f"{URL}/{user['id']}", json={"role": "admin"})
        assert promo.get(URL).status_code == 200
        with sqlite_server.client() as c:
            c.patch(f"{URL}/{user['id']}", json={"role": "staff"})
        assert_problem(promo.get(URL), 403)
