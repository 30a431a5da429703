"""Redis store: short socket timeouts, no client-side retries, one key prefix per app.

Every error is raised to the caller (the front), which falls back to the in-process store;
a retry loop inside redis-py would only make a dead Redis slower to notice.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def default_prefix(home: Path) -> str:
    """``vigia:<hash of VIGIA_HOME>:``: two Vigias on one Redis never share keys."""
    digest = hashlib.sha256(str(home.expanduser().resolve()).encode()).hexdigest()[:12]
    return f"vigia:{digest}:"


def safe_url(url: str) -> str:
    """The URL without its password (for status answers and logs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class RedisStore:
    name = "redis"

    def __init__(self, url: str, prefix: str, timeout_s: float = 0.3) -> None:
        self.url = safe_url(url)
        self.prefix = prefix
        self._client: redis.Redis = redis.Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
            decode_responses=True,
        )

    def _key(self, namespace: str, key: str) -> str:
        return f"{self.prefix}{namespace}:{key}"

    def ping(self) -> None:
        self._client.ping()

    def get(self, namespace: str, key: str) -> str | None:
        value = self._client.get(self._key(namespace, key))
        return None if value is None else str(value)

    def set(self, namespace: str, key: str, value: str, ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        self._client.set(self._key(namespace, key), value, px=max(1, int(ttl_s * 1000)))

    def delete(self, namespace: str, key: str) -> None:
        self._client.delete(self._key(namespace, key))

    def clear(self, namespace: str | None = None) -> int:
        """Delete this app's keys (SCAN + UNLINK: never FLUSHDB on a shared server)."""
        pattern = f"{self.prefix}{namespace}:*" if namespace else f"{self.prefix}*"
        removed = 0
        batch: list[str] = []
        for key in self._client.scan_iter(match=pattern, count=500):
            batch.append(str(key))
            if len(batch) >= 500:
                removed += int(self._client.unlink(*batch))
                batch.clear()
        if batch:
            removed += int(self._client.unlink(*batch))
        return removed

    def size(self) -> None:
        return None  # would need a SCAN of the whole prefix

    def close(self) -> None:
        self._client.close()
