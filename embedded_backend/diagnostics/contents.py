"""The log files (newest first, up to a size budget) and the README.txt of the bundle."""

from __future__ import annotations

import socket
from datetime import datetime
from pathlib import Path

from embedded_backend import __version__
from embedded_backend.config import Settings
from embedded_backend.diagnostics.bundle import Bundle, Writer
from embedded_backend.paths import Paths

_CHUNK = 1 << 20


def log_parts(writer: Writer, folder: Path, budget: int) -> None:
    """Every file of the logs folder, newest first, until ``budget`` bytes; the file
    that does not fit whole contributes its newest lines."""
    try:
        files = sorted(
            (p for p in folder.iterdir() if p.is_file()),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    except OSError:
        files = []
    left = budget
    for path in files:
        try:
            size = path.stat().st_size
            if left <= 0:
                writer.bundle.logs_truncated = True
                continue
            start = max(0, size - left)
            with path.open("rb") as src, writer.zf.open(f"logs/{path.name}", "w") as dst:
                if start:
                    writer.bundle.logs_truncated = True
                    src.seek(start)
                    src.readline()  # from the next whole line
                left -= size - start
                carry = b""
                while chunk := src.read(_CHUNK):
                    chunk = carry + chunk
                    cut = chunk.rfind(b"\n") + 1
                    chunk, carry = chunk[:cut], chunk[cut:]
                    dst.write(writer.scrub.raw(chunk))
                dst.write(writer.scrub.raw(carry))
            writer.bundle.files.append(f"logs/{path.name}")
        except OSError as exc:
            writer.bundle.problems.append(f"logs/{path.name}: {exc.strerror or exc}")


def readme(bundle: Bundle, paths: Paths, settings: Settings | None) -> str:
    now = datetime.now().astimezone()
    lines = [
        "Vigia diagnostics",
        "=================",
        "",
        f"Made {now:%Y-%m-%d %H:%M:%S %Z} on {socket.gethostname()} by Vigia {__version__}",
        f"Data folder: {paths.home}",
        "",
        "What is in this file",
        "--------------------",
    ]
    described = {
        "settings.json": "effective settings (secrets left out, passwords masked)",
        "vigia.toml": "the settings file (passwords masked)",
        "preflight.json": "result of `vigia check --json`",
        "backend/health.json": "health of the running backend, or why there is none",
        "backend/alerts.json": "the backend's active and recent alerts",
        "backend/routers.json": "each router (ERP module): loaded, failed or disabled",
        "backend/performance.json": "per-route request counts, error rates, latencies",
        "backend/system-info.json": "the backend process: CPU, memory, disk, versions",
        "desktop/health-history.csv": "tray health history: per-minute (24 h), hourly (30 d)",
        "desktop/alerts.json": "alerts the tray raised (30 days)",
        "system.json": "this machine: OS, CPU, memory, disk",
        "versions.json": "Python, Vigia and every installed package",
        "backups.json": "the backups and their state",
    }
    for name in bundle.files:
        what = described.get(name, "log file" if name.startswith("logs/") else "")
        lines.append(f"  {name:<30} {what}".rstrip())
    lines.append("  README.txt                     this file")
    if bundle.logs_truncated:
        lines += [
            "",
            "The logs were larger than the size limit: the newest lines are included, older",
            f"lines were left out. The full logs are in {paths.logs}.",
        ]
    if bundle.problems:
        lines += ["", "Could not be collected", "----------------------"]
        lines += [f"  {problem}" for problem in bundle.problems]
    lines += [
        "",
        "Never included: the database, backup files, the admin token, the signing key and",
        "database passwords (every known secret value is replaced by ***).",
        "",
    ]
    return "\n".join(lines)
