"""Run the backend with uvicorn in a thread: for the tray and for ``vigia serve``.

Uvicorn gets ``log_config=None`` (our logging stays), a socket we bound ourselves (port 0
picks a free port and we publish the real one) and ``timeout_graceful_shutdown``.
``start``/``stop``/``restart`` may be called from any thread. A ``SystemExit`` raised by
uvicorn inside the thread is caught and reported as a failed start, never lost.

A thread whose event loop is blocked (a synchronous sleep in ``async def``) cannot be
ended: ``stop`` gives up on it after its deadline and the runner may start again (the
port is free again once that thread lets go of it). Only the runner's current thread
reports its end through ``on_exit``: the late end of an abandoned one is not news about
the server that runs now, and must not be taken for its crash.

The runner keeps its :class:`Settings` and, after the first start, the port it bound
(so a restart comes back at the same address). :meth:`ServerRunner.configure`, between
a stop and a start, gives it new settings (the tray, after its settings window changed
``vigia.toml``).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import uvicorn
from fastapi import FastAPI

from embedded_backend.config import Settings
from embedded_backend.errors import PortInUseError, ServerStartError
from embedded_backend.netutil import bind_socket
from embedded_backend.state import AppState

log = logging.getLogger(__name__)

AppFactory = Callable[[Settings], FastAPI]


def _default_factory(settings: Settings) -> FastAPI:
    from embedded_backend.app import create_app

    return create_app(settings)


class ServerRunner:
    def __init__(self, settings: Settings, app_factory: AppFactory | None = None) -> None:
        self.settings = settings
        self.app_factory = app_factory or _default_factory
        self.port: int | None = None
        self.app: FastAPI | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stuck: threading.Thread | None = None  # the last thread a stop gave up on
        self._error: str | None = None
        self._lock = threading.RLock()
        # Called from the server thread when it ends: None after a requested stop, else why.
        self.on_exit: Callable[[str | None], None] | None = None
        # When set (by a supervisor), the admin API's restart is handed to it instead of
        # being done here: called with the actor's name from a request thread; True =
        # the restart was accepted.
        self.on_restart_request: Callable[[str], bool] | None = None

    # -- queries ---------------------------------------------------------------
    @property
    def url(self) -> str:
        host = self.settings.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}"

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def error(self) -> str | None:
        """Why the server thread ended, if it ended on its own."""
        return self._error

    @property
    def state(self) -> AppState | None:
        return self.app.state.vigia if self.app is not None else None

    # -- control ---------------------------------------------------------------
    def start(self, deadline_s: float | None = None) -> int:
        """Start in a thread; return the real port once the server accepts connections."""
        with self._lock:
            if self.alive:
                raise ServerStartError("the server is already running")
            port = self.port if self.port is not None else self.settings.port
            try:
                sock = bind_socket(self.settings.host, port, self.settings.port_retry_s)
            except PortInUseError:
                if self._stuck is None or not self._stuck.is_alive():
                    raise
                raise ServerStartError(
                    f"the previous run of the backend is stuck (something blocks it) and "
                    f"still holds port {port}; Vigia keeps trying, or quit and reopen Vigia"
                ) from None
            self.port = sock.getsockname()[1]
            try:
                self.app = self.app_factory(self.settings)
            except BaseException:
                sock.close()  # release the port now, not when the traceback is collected
                raise
            self.app.state.vigia.request_restart = self._request_restart
            config = uvicorn.Config(
                self.app,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=int(self.settings.graceful_shutdown_s),
                lifespan="on",
                server_header=False,
                # Off unless configured: behind no proxy, X-Forwarded-* would let any
                # client claim another address (health's loopback check, rate-limit keys).
                proxy_headers=self.settings.proxy_headers,
                forwarded_allow_ips=self.settings.forwarded_allow_ips or None,
            )
            self._server = uvicorn.Server(config)
            self._error = None
            self._thread = threading.Thread(
                target=self._run, args=(self._server, sock), name="vigia-server", daemon=True
            )
            self._thread.start()
            self._wait_started(self._server, deadline_s or self.settings.startup_deadline_s)
            self._publish()
            log.info("Vigia backend listening on %s", self.url)
            return self.port

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        reason: str | None = None
        try:
            server.run(sockets=[sock])
        except SystemExit as exc:
            reason = f"the server stopped during startup (uvicorn exit code {exc.code})"
            log.error("%s; see the errors above", reason)
        except Exception as exc:
            reason = f"the server thread crashed ({type(exc).__name__})"
            log.exception("%s", reason)
        finally:
            sock.close()
            if reason is None and not server.should_exit:
                reason = "the server stopped unexpectedly"
            if self._thread is threading.current_thread():
                self._error = reason
                callback = self.on_exit
                if callback is not None:
                    callback(reason)
            else:  # a stop gave up on this thread (stuck) and the runner moved on
                log.warning("the stuck server thread of an earlier start has ended")

    def _wait_started(self, server: uvicorn.Server, deadline_s: float) -> None:
        deadline = time.monotonic() + deadline_s
        while not server.started:
            thread = self._thread
            if thread is None or not thread.is_alive():
                raise ServerStartError(self._error or "the server stopped during startup")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"the server did not start within {deadline_s:.0f} s")
            time.sleep(0.02)

    def stop(self, timeout_s: float | None = None) -> bool:
        """Graceful stop: finish in-flight requests (bounded), then force. True if stopped."""
        with self._lock:
            server, thread = self._server, self._thread
            if server is None or thread is None:
                return True
            state = self.state
            if state is not None:
                state.stopping = True
            server.should_exit = True
            grace = timeout_s if timeout_s is not None else self.settings.graceful_shutdown_s
            thread.join(grace + 5)
            if thread.is_alive():
                log.warning("server did not stop within %.0f s; forcing it", grace + 5)
                server.force_exit = True
                thread.join(5)
            stopped = not thread.is_alive()
            if not stopped:
                # Its event loop is blocked: it saw neither request. Given up on; when it
                # wakes it shuts down the ordinary way (its app's lifespan closes what it
                # opened) rather than cut short, which only adds a traceback to the log.
                server.force_exit = False
                self._stuck = thread
            self._unpublish()
            self._server = None
            self._thread = None
            return stopped

    def configure(self, settings: Settings) -> None:
        """Use ``settings`` from the next start (only while stopped: ServerStartError
        otherwise). The port bound before is kept when the new settings ask for the same
        host and port (port 0: the same free port again); otherwise the next start binds
        the new one."""
        with self._lock:
            if self.alive:
                raise ServerStartError("the server is running; stop it before configuring it")
            if self._stuck is not None and self._stuck.is_alive():
                # Its app still holds the old database and port: new settings (another
                # port, say) would run a second server beside it. Applied once it ends.
                raise ServerStartError(
                    "the previous run of the backend is stuck (something blocks it); the new "
                    "settings apply once it ends. Vigia keeps trying, or quit and reopen Vigia"
                )
            old, self.settings = self.settings, settings
            if (settings.host, settings.port) != (old.host, old.port):
                self.port = None

    def restart(self, reason: str = "restart requested") -> int:
        log.warning("restarting the backend: %s", reason)
        with self._lock:
            self.stop()
            return self.start()

    def _request_restart(self, actor: str) -> bool:
        handler = self.on_restart_request
        if handler is not None:
            return handler(actor)
        threading.Thread(
            target=self._restart_quietly,
            args=(f"requested by {actor}",),
            name="vigia-restart",
            daemon=True,
        ).start()
        return True

    def _restart_quietly(self, reason: str) -> None:
        try:
            self.restart(reason)
        except Exception:
            log.exception("restart failed")

    def join(self, poll_s: float = 0.5) -> None:
        while self.alive:
            time.sleep(poll_s)

    # -- run file --------------------------------------------------------------
    def _publish(self) -> None:
        data = {
            "pid": os.getpid(),
            "host": self.settings.host,
            "port": self.port,
            "url": self.url,
            "started_at": datetime.now(UTC).isoformat(),
        }
        path = self.settings.paths.run_file
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            log.warning("could not write %s: %s", path, exc.strerror)

    def _unpublish(self) -> None:
        path = self.settings.paths.run_file
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass
