"""The alert categories. Each can be muted on its own (no toast; still in the history)."""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    BACKEND_DOWN = "backend_down"  # the backend does not answer, crashed or keeps crashing
    DATABASE = "database"  # the backend answers but its database does not
    LATENCY = "latency"  # health answers slower than the threshold, N samples in a row
    ROUTER = "router"  # an ERP module (router) failed to load
    DISK = "disk"  # the disk holding Vigia's data is almost full
    BACKUP = "backup"  # the newest backup is too old
    SERVER = "server"  # the backend's own alerts (error rate, memory, pool, ...)
