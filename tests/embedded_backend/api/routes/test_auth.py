"""/api/v1/auth/token: OAuth2 password login, JWTs, the admin token, the first admin."""

from __future__ import annotations

import jwt

from embedded_backend.secrets import ADMIN_PASSWORD, SERVICE
from tests.embedded_backend.api.support import assert_problem, make_user
from tests.helpers.live import ADMIN_TOKEN, SECRET_KEY, LiveServer
from tests.helpers.memory_keyring import MemoryKeyring

TOKEN_URL = "/api/v1/auth/token"


def test_login_returns_a_jwt_that_works_as_bearer(server: LiveServer) -> None:
    with server.client() as c:
        user = make_user(c, username="joana", password="joana-senha-9")
    with server.client(token=None) as anon:
        r = anon.post(TOKEN_URL, data={"username": "joana", "password": "joana-senha-9"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == server.settings.jwt_expire_minutes * 60
    claims = jwt.decode(body["access_token"], SECRET_KEY, algorithms=["HS256"])
    assert claims["sub"] == str(user["id"]) and claims["name"] == "joana"
    assert claims["role"] == "staff" and claims["exp"] > claims["iat"]

    with server.client(token=body["access_token"]) as joana:
        r = joana.get("/api/v1/products")
        assert r.status_code == 200 and r.json() == {"items": [], "total": 0}


def test_wrong_password_and_unknown_user_are_401_problems(server: LiveServer) -> None:
    with server.client() as c:
        make_user(c, username="pedro", password="pedro-senha-1")
    with server.client(token=None) as anon:
        for username, password in [
            ("pedro", "wrong-password"),
            ("nobody", "pedro-senha-1"),
            ("pedro", ""),
            ("PEDRO", "pedro-senha-1"),
            ("pedro ", "pedro-senha-1"),
        ]:
            r = anon.post(TOKEN_URL, data={"username": username, "password": password})
            if r.status_code == 422:  # an empty form field is a validation error
                assert_problem(r, 422)
                continue
            body = assert_problem(r, 401)
            assert r.headers["www-authenticate"] == "Bearer"
            # The same answer for a wrong password and an unknown user.
            assert body["detail"] == "wrong username or password"
            assert "access_token" not in body
        assert_problem(anon.post(TOKEN_URL, data={}), 422)
        assert_problem(
            anon.post(TOKEN_URL, json={"username": "pedro", "password": "pedro-senha-1"}), 422
        )


def test_bad_tokens_are_401(sqlite_server: LiveServer) -> None:
    forged = jwt.encode(
        {"sub": "1", "name": "admin", "role": "admin", "exp": 4102444800},
        "not-the-server-key-0123456789abcdef",
        algorithm="HS256",
    )
    expired = jwt.encode(
        {"sub": "1", "name": "admin", "role": "admin", "exp": 1}, SECRET_KEY, algorithm="HS256"
    )
    unsigned = jwt.encode(
        {"sub": "1", "name": "admin", "role": "admin", "exp": 4102444800}, "", algorithm="none"
    )
    wrong_name = jwt.encode(
        {"sub": "1", "name": "someone", "role": "admin", "exp": 4102444800},
        SECRET_KEY,
        algorithm="HS256",
    )
    with sqlite_server.client(token=None) as anon:
        for token in [
            "garbage",
            ADMIN_TOKEN + "x",
            ADMIN_TOKEN[:-1],
            forged,
            expired,
            unsigned,
            wrong_name,
            "a.b.c",
        ]:
            r = anon.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"})
            assert_problem(r, 401)
        r = anon.get(
            "/api/v1/products", headers={b"Authorization": "Bearer ação-não-ascii".encode()}
        )
        assert_problem(r, 401)
        body = assert_problem(anon.get("/api/v1/products"), 401)
        assert "Bearer" in body["detail"]
        assert_problem(anon.get("/api/v1/products", headers={"Authorization": "Basic eDp5"}), 401)
        assert_problem(anon.get("/api/v1/products", headers={"Authorization": "Bearer"}), 401)


def test_first_run_admin_has_a_random_password_in_the_keyring(
    sqlite_server: LiveServer, memory_keyring: MemoryKeyring
) -> None:
    password = memory_keyring.store[(SERVICE, ADMIN_PASSWORD)]
    assert len(password) >= 16
    assert password not in {"admin", "password", "123456", "vigia", "admin123"}
    with sqlite_server.client() as c:
        users = c.get("/api/v1/users").json()
    assert [(u["username"], u["role"], u["is_active"]) for u in users["items"]] == [
        ("admin", "admin", True)
    ]
    token = sqlite_server.login("admin", password)
    with sqlite_server.client(token=token) as admin:
        assert admin.get("/api/v1/users").status_code == 200
    with sqlite_server.client(token=None) as anon:
        for guess in ("admin", "password", "vigia", "changeme"):
            r = anon.post(TOKEN_URL, data={"username": "admin", "password": guess})
            assert_problem(r, 401)


def test_first_run_password_differs_between_installations(
    make_settings: object, memory_keyring: MemoryKeyring, tmp_path: object
) -> None:
    from pathlib import Path

    from embedded_backend.bootstrap import ensure_admin_user
    from embedded_backend.db.database import Database
    from embedded_backend.db.migrate import migrate_to_head

    assert isinstance(tmp_path, Path) and callable(make_settings)
    passwords = []
    for n in range(2):
        settings = make_settings(home=tmp_path / f"home{n}")
        settings.paths.ensure()
        db = Database(settings)
        try:
            migrate_to_head(db.engine)
            assert ensure_admin_user(db) is True
            passwords.append(memory_keyring.store.pop((SERVICE, ADMIN_PASSWORD)))
            # Second start: nothing created, the keyring is not overwritten.
            assert ensure_admin_user(db) is False
            assert (SERVICE, ADMIN_PASSWORD) not in memory_keyring.store
        finally:
            db.dispose()
    assert passwords[0] != passwords[1]


def test_admin_token_is_an_admin(sqlite_server: LiveServer) -> None:
    with sqlite_server.client(token=ADMIN_TOKEN) as c:
        assert c.get("/api/v1/users").status_code == 200
        user = make_user(c)
        assert c.delete(f"/api/v1/users/{user['id']}").status_code == 204
        assert c.get("/api/v1/admin/routers").status_code == 200


def test_disabled_user_token_stops_working(server: LiveServer) -> None:
    with server.client() as c:
        user = make_user(c, username="temp", password="temp-senha-1")
    token = server.login("temp", "temp-senha-1")
    with server.client(token=token) as temp:
        assert temp.get("/api/v1/customers").status_code == 200
        with server.client() as c:
            r = c.patch(f"/api/v1/users/{user['id']}", json={"is_active": False})
            assert r.status_code == 200 and r.json()["is_active"] is False
        assert_problem(temp.get("/api/v1/customers"), 401)
    with server.client(token=None) as anon:
        assert_problem(
            anon.post(TOKEN_URL, data={"username": "temp", "password": "temp-senha-1"}), 401
        )
    with server.client() as c:
        c.patch(f"/api/v1/users/{user['id']}", json={"is_active": True})
    with server.client(token=server.login("temp", "temp-senha-1")) as temp:
        assert temp.get("/api/v1/customers").status_code == 200


def test_deleted_user_token_stops_working(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        user = make_user(c, username="gone", password="gone-senha-1")
    token = sqlite_server.login("gone", "gone-senha-1")
    with sqlite_server.client() as c:
        assert c.delete(f"/api/v1/users/{user['id']}").status_code == 204
        # A new user who happens to get the same id must not inherit the old token.
        make_user(c, username="newcomer")
    with sqlite_server.client(token=token) as gone:
        assert_problem(gone.get("/api/v1/customers"), 401)


def test_password_change_takes_effect(sqlite_server: LiveServer) -> None:
    with sqlite_server.client() as c:
        user = make_user(c, username="ana", password="ana-senha-antiga")
        r = c.patch(f"/api/v1/users/{user['id']}", json={"password": "ana-senha-nova"})
        assert r.status_code == 200 and "password" not in r.text
    with sqlite_server.client(token=None) as anon:
        assert_problem(
            anon.post(TOKEN_URL, data={"username": "ana", "password": "ana-senha-antiga"}), 401
        )
    assert sqlite_server.login("ana", "ana-senha-nova")
