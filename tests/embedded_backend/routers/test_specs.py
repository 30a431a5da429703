"""``VIGIA_ROUTERS`` parsing: syntax, prefixes, replacing built-ins, duplicates."""

from __future__ import annotations

import pytest

from embedded_backend.errors import ConfigError
from embedded_backend.routers.specs import BUILTIN, RouterSpec, parse_router_specs, resolve_specs

BUILTIN_NAMES = [
    "auth",
    "users",
    "customers",
    "products",
    "orders",
    "admin",
    "backups",
    "monitoring",
]


def test_empty_means_the_builtins() -> None:
    specs = resolve_specs("")
    assert [s.name for s in specs] == BUILTIN_NAMES
    assert all(s.builtin for s in specs)
    prefixes = {s.name: s.prefix for s in specs}
    assert prefixes.pop("backups") == "/api/v1/admin/backups"  # nested in admin's
    assert all(prefix == f"/api/v1/{name}" for name, prefix in prefixes.items())
    assert {s.name for s in specs if s.critical} == {"auth", "admin"}
    assert resolve_specs(" , ,") == specs


def test_default_and_explicit_prefix() -> None:
    specs = parse_router_specs(
        " whatsapp = erp.routers.whatsapp:router ,cliente=erp.routers.cliente:api.router"
        "@/api/erp/cliente/ "
    )
    assert specs == [
        RouterSpec("whatsapp", "erp.routers.whatsapp:router", "/api/v1/whatsapp"),
        RouterSpec("cliente", "erp.routers.cliente:api.router", "/api/erp/cliente"),
    ]
    assert specs[1].module == "erp.routers.cliente" and specs[1].attribute == "api.router"
    assert not specs[0].builtin and not specs[0].critical


def test_added_routers_come_after_the_builtins() -> None:
    specs = resolve_specs("produto=erp.produto:router@/api/erp/produto")
    assert [s.name for s in specs] == [*BUILTIN_NAMES, "produto"]
    assert specs[-1].prefix == "/api/erp/produto"


def test_replacing_a_builtin_keeps_its_place_and_criticality() -> None:
    specs = resolve_specs("auth=erp.auth:router,products=erp.produto:router@/api/erp/produto")
    by_name = {s.name: s for s in specs}
    assert [s.name for s in specs] == BUILTIN_NAMES
    assert by_name["auth"] == RouterSpec("auth", "erp.auth:router", "/api/v1/auth", critical=True)
    assert by_name["products"].target == "erp.produto:router"
    assert by_name["products"].prefix == "/api/erp/produto"
    assert not by_name["products"].critical and not by_name["products"].builtin
    assert BUILTIN[0].target.startswith("embedded_backend.")  # the built-in list is untouched


@pytest.mark.parametrize(
    "entry",
    [
        "whatsapp",  # no '='
        "whatsapp=",  # no target
        "=erp.whatsapp:router",  # no name
        "whats app=erp.whatsapp:router",  # space in the name
        "1st=erp.whatsapp:router",  # name starts with a digit
        "whatsapp=erp.whatsapp",  # no attribute
        "whatsapp=erp/whatsapp.py:router",  # a path, not a module
        "whatsapp=erp.whatsapp:router()",  # a call
        "whatsapp=erp..whatsapp:router",  # empty module part
        "whatsapp=erp.whatsapp:router:extra",
    ],
)
def test_bad_entries_name_themselves(entry: str) -> None:
    with pytest.raises(ConfigError) as exc_info:
        parse_router_specs(f"good=erp.good:router,{entry}")
    message = str(exc_info.value)
    assert f"'{entry.strip()}'" in message
    assert "name=package.module:attribute" in message


@pytest.mark.parametrize("prefix", ["api/erp", "/", "", "/api erp", "/api/<x>", "/api//erp"])
def test_bad_prefixes(prefix: str) -> None:
    with pytest.raises(ConfigError, match="prefix must look like /api/erp"):
        parse_router_specs(f"cliente=erp.cliente:router@{prefix}")


def test_duplicate_prefix_is_refused() -> None:
    with pytest.raises(ConfigError) as exc_info:
        resolve_specs("a=erp.a:router@/api/erp/x,b=erp.b:router@/api/erp/x")
    assert str(exc_info.value) == "routers 'a' and 'b' both use prefix /api/erp/x"


def test_an_added_router_cannot_take_a_builtin_prefix() -> None:
    with pytest.raises(ConfigError, match="'products' and 'produto' both use prefix"):
        resolve_specs("produto=erp.produto:router@/api/v1/products")


def test_a_replaced_builtin_frees_its_prefix() -> None:
    specs = resolve_specs(
        "products=erp.produto:router@/api/erp/produto,legacy=erp.legacy:router@/api/v1/products"
    )
    assert {s.name: s.prefix for s in specs}["legacy"] == "/api/v1/products"


def test_the_same_name_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="'cliente' is given twice"):
        resolve_specs("cliente=erp.a:router,cliente=erp.b:router@/api/erp/b")
