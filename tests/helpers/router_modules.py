"""Throw-away router modules written to a temp dir, for router-isolation tests in-process.

Each module gets a unique name, so ``sys.modules`` caching never leaks between tests.
"""

from __future__ import annotations

import secrets
import textwrap
from pathlib import Path

import pytest

GOOD = """
from fastapi import APIRouter

router = APIRouter()


@router.get("/ping")
def ping() -> dict[str, str]:
    return {"pong": "ok"}
"""

BROKEN = {
    # kind: (module source, attribute, error type the registry must record)
    "syntax": ("def broken(:\n    pass\n", "router", "SyntaxError"),
    "missing": ("import module_that_is_not_installed_anywhere\n", "router", "ModuleNotFoundError"),
    "raises": ("raise RuntimeError('ERP_API_KEY is not configured')\n", "router", "RuntimeError"),
    "exits": ("import sys\nsys.exit(3)\n", "router", "SystemExit"),
    "not_a_router": ("router = 42\n", "router", "TypeError"),
    "no_attribute": (GOOD, "no_such_router", "AttributeError"),
}


class RouterModules:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, source: str, stem: str = "vigia_test_router") -> str:
        name = f"{stem}_{secrets.token_hex(4)}"
        (self.folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        return name

    def good(self) -> str:
        return f"{self.write(GOOD)}:router"

    def broken(self, kind: str) -> str:
        source, attribute, _ = BROKEN[kind]
        return f"{self.write(source, f'vigia_broken_{kind}')}:{attribute}"


def router_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RouterModules:
    folder = tmp_path / "router_modules"
    folder.mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(folder))
    return RouterModules(folder)
