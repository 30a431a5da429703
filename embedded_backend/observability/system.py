"""Process and machine facts for ``/api/v1/monitoring/system/info`` (psutil)."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from embedded_backend import __version__

PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic",
    "sqlalchemy",
    "alembic",
    "prometheus-client",
    "psutil",
    "psycopg",
    "pymysql",
)


class ProcessProbe:
    """Holds one ``psutil.Process`` so that CPU percentages are measured between calls
    (psutil's first ``cpu_percent()`` call only starts the measurement)."""

    def __init__(self) -> None:
        self.process = psutil.Process(os.getpid())
        self._lock = threading.Lock()
        self.process.cpu_percent(None)
        psutil.cpu_percent(None)

    def cpu_percent(self) -> tuple[float, float]:
        """(this process, whole machine) CPU % since the previous call."""
        with self._lock:
            return self.process.cpu_percent(None), psutil.cpu_percent(None)

    def rss_bytes(self) -> int:
        return int(self.process.memory_info().rss)

    def threads(self) -> int:
        return int(self.process.num_threads())

    def open_files(self) -> int | None:
        try:
            return len(self.process.open_files())
        except (psutil.AccessDenied, psutil.NoSuchProcess, OSError):
            return None

    def handles(self) -> int | None:
        """Open file descriptors (POSIX) or handles (Windows)."""
        try:
            counter = getattr(self.process, "num_fds", None) or getattr(
                self.process, "num_handles", None
            )
            return int(counter()) if counter is not None else None
        except (psutil.AccessDenied, psutil.NoSuchProcess, OSError):
            return None


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"vigia": __version__}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def system_info(probe: ProcessProbe, home: Path) -> dict[str, Any]:
    process_cpu, machine_cpu = probe.cpu_percent()
    memory = psutil.virtual_memory()
    disk = shutil.disk_usage(_existing(home))
    return {
        "cpu": {"percent": machine_cpu, "count": psutil.cpu_count() or 1},
        "memory": {
            "total_bytes": memory.total,
            "available_bytes": memory.available,
            "percent": memory.percent,
        },
        "disk": {
            "path": str(home),
            "total_bytes": disk.total,
            "free_bytes": disk.free,
            "percent": round(disk.used / disk.total * 100, 1) if disk.total else 0.0,
        },
        "process": {
            "pid": probe.process.pid,
            "cpu_percent": process_cpu,
            "rss_bytes": probe.rss_bytes(),
            "threads": probe.threads(),
            "open_files": probe.open_files(),
            "handles": probe.handles(),
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {"system": platform.system(), "release": platform.release()},
        "packages": package_versions(),
    }


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
