"""``vigia status [--url] [--json]`` against a real running backend, and against nothing."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from embedded_backend import __version__
from embedded_backend.cli.main import main
from embedded_backend.config import Settings
from tests.helpers.live import LiveServer, live_server


def status(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["status", *args])
    return code, capsys.readouterr().out


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_human_summary_from_the_published_run_file(
    capsys: pytest.CaptureFixture[str], sqlite_server: LiveServer
) -> None:
    code, out = status(capsys)  # no --url: the run file in VIGIA_HOME says where
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith(f"Vigia at {sqlite_server.url}: pass (version {__version__})")
    assert " ms - 8/8 routers" in first


def test_json_is_the_health_document(
    capsys: pytest.CaptureFixture[str], sqlite_server: LiveServer
) -> None:
    code, out = status(capsys, "--url", sqlite_server.url + "/", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["status"] == "pass" and doc["serviceId"] == "vigia"
    for key in (
        "database:responseTime",
        "routers:loaded",
        "uptime",
        "disk:utilization",
        "backup:age",
    ):
        assert key in doc["checks"]


def test_failing_backend_exits_1_with_the_reason(
    capsys: pytest.CaptureFixture[str], make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        database_url=f"postgresql://postgres@127.0.0.1:{closed_port()}/x",
        db_startup_retry_s=0,
        db_background_retry_s=30,
    )
    with live_server(settings) as live:
        code, out = status(capsys, "--url", live.url)
        assert code == 1
        first, reason = out.splitlines()
        assert first.startswith(f"Vigia at {live.url}: fail")
        assert "database not ready" in reason and "Connection refused" in reason
        code, out = status(capsys, "--url", live.url, "--json")
        assert code == 1 and json.loads(out)["status"] == "fail"


def test_nothing_listening(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    code, out = status(capsys, "--url", url, "--timeout", "2")
    assert code == 1
    assert out == (
        f"Vigia at {url}: DOWN - no backend answers at {url} (ConnectError). "
        "Start it with 'vigia serve'.\n"
    )
    code, out = status(capsys, "--url", url, "--json")
    assert code == 1
    assert json.loads(out) == {
        "status": "fail",
        "url": url,
        "output": f"no backend answers at {url} (ConnectError)",
    }


def test_stale_run_file_after_a_crash(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    port = closed_port()
    home.mkdir(parents=True)
    (home / "vigia.run.json").write_text(
        json.dumps({"pid": 999999, "port": port, "url": f"http://127.0.0.1:{port}"}),
        encoding="utf-8",
    )
    code, out = status(capsys)
    assert code == 1 and f"127.0.0.1:{port}: DOWN" in out


@pytest.fixture
def not_vigia() -> Iterator[str]:
    """Some other web server on the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>router admin page</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_something_else_answers(capsys: pytest.CaptureFixture[str], not_vigia: str) -> None:
    code, out = status(capsys, "--url", not_vigia)
    assert code == 1
    assert out == f"Vigia at {not_vigia}: answered HTTP 200 without a health document\n"
