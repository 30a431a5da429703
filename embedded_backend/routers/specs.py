"""Router specifications: the built-in list and ``VIGIA_ROUTERS`` parsing.

Syntax of ``VIGIA_ROUTERS`` (comma separated)::

    name=package.module:attribute[@/mount/prefix]

A name that matches a built-in router replaces it; any other name adds a router. The
default prefix is ``/api/v1/<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embedded_backend.errors import ConfigError

_NAME = re.compile(r"[A-Za-z_][\w-]*")
_TARGET = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")
_PREFIX = re.compile(r"(/[\w.~-]+)+")


@dataclass(frozen=True)
class RouterSpec:
    name: str
    target: str  # "package.module:attribute"
    prefix: str
    critical: bool = False
    builtin: bool = False

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    @property
    def attribute(self) -> str:
        return self.target.partition(":")[2]


def default_prefix(name: str) -> str:
    return f"/api/v1/{name}"


_API = "embedded_backend.api.routes"
BUILTIN: tuple[RouterSpec, ...] = (
    RouterSpec("auth", f"{_API}.auth:router", "/api/v1/auth", critical=True, builtin=True),
    RouterSpec("users", f"{_API}.users:router", "/api/v1/users", builtin=True),
    RouterSpec("customers", f"{_API}.customers:router", "/api/v1/customers", builtin=True),
    RouterSpec("products", f"{_API}.products:router", "/api/v1/products", builtin=True),
    RouterSpec("orders", f"{_API}.orders:router", "/api/v1/orders", builtin=True),
    RouterSpec("admin", f"{_API}.admin:router", "/api/v1/admin", critical=True, builtin=True),
    # Mounted under admin's prefix, but loaded (and failing, or disabled) on its own.
    RouterSpec("backups", f"{_API}.backups:router", "/api/v1/admin/backups", builtin=True),
    RouterSpec("monitoring", f"{_API}.monitoring:router", "/api/v1/monitoring", builtin=True),
)


def parse_router_specs(text: str) -> list[RouterSpec]:
    """Parse ``VIGIA_ROUTERS``; a malformed entry is a ConfigError naming it."""
    specs: list[RouterSpec] = []
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, eq, rest = entry.partition("=")
        name = name.strip()
        target, at, prefix = rest.strip().partition("@")
        target, prefix = target.strip(), prefix.strip().rstrip("/")
        if not eq or not _NAME.fullmatch(name) or not _TARGET.fullmatch(target):
            raise ConfigError(
                f"VIGIA_ROUTERS entry '{entry}' is not 'name=package.module:attribute' "
                "(optionally followed by '@/prefix')"
            )
        if at and not _PREFIX.fullmatch(prefix):
            raise ConfigError(f"VIGIA_ROUTERS entry '{entry}': prefix must look like /api/erp")
        if any(spec.name == name for spec in specs):
            raise ConfigError(f"VIGIA_ROUTERS: router '{name}' is given twice; keep one entry")
        specs.append(RouterSpec(name, target, prefix if at else default_prefix(name)))
    return specs


def resolve_specs(extra: str) -> list[RouterSpec]:
    """Built-in routers with the ``VIGIA_ROUTERS`` entries added or replacing by name."""
    by_name = {spec.name: spec for spec in BUILTIN}
    for spec in parse_router_specs(extra):
        replaced = by_name.get(spec.name)
        critical = replaced.critical if replaced else False
        by_name[spec.name] = RouterSpec(spec.name, spec.target, spec.prefix, critical=critical)
    prefixes: dict[str, str] = {}
    for spec in by_name.values():
        if spec.prefix in prefixes:
            raise ConfigError(
                f"routers '{prefixes[spec.prefix]}' and '{spec.name}' both use prefix {spec.prefix}"
            )
        prefixes[spec.prefix] = spec.name
    return list(by_name.values())
