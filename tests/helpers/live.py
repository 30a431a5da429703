"""A real backend on a real uvicorn, in this process, on port 0."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from embedded_backend.config import Settings
from embedded_backend.server import ServerRunner

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
SECRET_KEY = "test-secret-key-0123456789abcdef0123"


@dataclass
class LiveServer:
    runner: ServerRunner
    settings: Settings

    @property
    def url(self) -> str:
        return self.runner.url

    def client(self, token: str | None = ADMIN_TOKEN, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]

    def login(self, username: str, password: str) -> str:
        with self.client(token=None) as c:
            r = c.post("/api/v1/auth/token", data={"username": username, "password": password})
            r.raise_for_status()
            return str(r.json()["access_token"])


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    runner = ServerRunner(settings)
    runner.start()
    try:
        yield LiveServer(runner, settings)
    finally:
        runner.stop()
