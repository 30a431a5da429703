"""What the supervisor drives in embedded mode: :class:`Runner`.

:class:`embedded_backend.server.ServerRunner` satisfies it as it is (checked by mypy
below). ``start`` blocks until the server accepts connections (a fresh app each time)
or raises; ``stop`` is a graceful stop with a deadline (drain, then force) and returns
whether the thread ended; ``configure`` gives new settings for the next start (only
while stopped). ``on_exit`` is called from the server thread as it ends (None
after a requested stop, otherwise why); ``on_restart_request`` receives the admin API's
restart requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from embedded_backend.config import Settings
    from embedded_backend.server import ServerRunner


class Runner(Protocol):
    on_exit: Callable[[str | None], None] | None
    on_restart_request: Callable[[str], bool] | None

    @property
    def url(self) -> str: ...

    @property
    def alive(self) -> bool: ...

    def start(self, deadline_s: float | None = None) -> int: ...

    def stop(self, timeout_s: float | None = None) -> bool: ...

    def configure(self, settings: Settings) -> None: ...


if TYPE_CHECKING:

    def _server_runner_is_a_runner(runner: ServerRunner) -> Runner:
        return runner
