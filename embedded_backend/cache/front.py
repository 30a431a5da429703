"""The cache front the routes use: Redis when configured and reachable, in-process otherwise.

Reads go ``fetch(namespace, key, loader)``: a hit returns the cached JSON-ready dict; a
miss runs ``loader`` (the database read) and stores its result. Writes call
``invalidate(namespace, *keys)`` *after* their transaction committed (``db.write``
returned), and also when it raised: a commit whose answer was lost may still have landed.

Why a read that raced a write cannot put a stale value back
-----------------------------------------------------------
Deleting the key after the commit is not enough on its own: a read that loaded the row
*before* the commit may store it *after* the delete, and that stale value would then be
served until its TTL ran out. So every key maps to a generation counter (striped: 4096
counters, a key's slot is its hash, so memory stays bounded; two keys sharing a slot only
cost an occasional skipped store). A read takes a :class:`Ticket` (the key's generation and
the global epoch) *before* it touches the database; ``invalidate`` bumps the generation
and deletes the key, and ``clear`` bumps the epoch, each under the slot's lock; a store
happens only if, under that same lock, the ticket is still current. Hence:

- the read took its ticket before the invalidation: its store is refused (the value
  it loaded may predate the commit);
- the read took its ticket after the invalidation: the invalidation ran after the
  commit, so the read started after the commit and loaded the new row.

The guarantee is per backend process (the counters are local), which is what "a write
is never followed by a stale read from the same backend" asks; between backends sharing
one Redis, invalidations are shared too (same prefix) and a stale value can live at most
``cache_ttl_s``.

Redis outages
-------------
Any Redis error switches the front to the in-process store (a WARNING, once per outage)
and health says ``warn``. The in-process store is emptied on that switch (it may hold
entries from an earlier outage that missed invalidations). A background loop pings Redis
every ``cache_redis_retry_s``; when it answers again, this app's keys in Redis are
deleted (writes during the outage could not invalidate them) and the front goes back to
Redis (an INFO). Requests never wait for reconnection attempts: at most one Redis call
per request fails, with a socket timeout of ``cache_redis_timeout_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeVar

import anyio
import redis
from prometheus_client import Counter

from embedded_backend.cache.base import Store
from embedded_backend.cache.memory import MemoryStore
from embedded_backend.cache.redis_store import RedisStore, default_prefix
from embedded_backend.config import Settings
from embedded_backend.observability.metrics import Metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
_SLOTS = 4096
_LOCKS = 64
FALLBACK_OUTPUT = (
    "Redis unreachable, using in-process cache; everything keeps working. Start Redis again "
    "(or check VIGIA_REDIS_URL): the backend goes back to it by itself"
)


class Ticket(NamedTuple):
    epoch: int
    generation: int


class CacheFront:
    def __init__(
        self,
        memory: MemoryStore,
        redis_store: RedisStore | None = None,
        *,
        ttl_s: float = 30.0,
        retry_s: float = 5.0,
        hits: Counter | None = None,
        misses: Counter | None = None,
    ) -> None:
        self.memory = memory
        self.redis = redis_store
        self.ttl_s = ttl_s
        self.retry_s = retry_s
        self._hits = hits
        self._misses = misses
        self.hit_count = 0
        self.miss_count = 0
        self._epoch = 0
        self._generations = [0] * _SLOTS
        self._locks = [threading.Lock() for _ in range(_LOCKS)]
        self._state_lock = threading.Lock()
        self._redis_ok = redis_store is not None
        self.fallback_since: datetime | None = None
        self.last_error: str | None = None
        self.last_recovery: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def bind_counters(self, metrics: Metrics) -> None:
        """Count hits and misses in ``cache_hits_total``/``cache_misses_total``."""
        self._hits = metrics.cache_hits_total
        self._misses = metrics.cache_misses_total

    # -- which store ----------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    @property
    def backend(self) -> str:
        """``redis`` or ``memory``: the store answering right now."""
        return "redis" if self.redis is not None and self._redis_ok else "memory"

    @property
    def degraded(self) -> bool:
        return self.redis is not None and not self._redis_ok

    def _store(self) -> Store:
        return self.redis if self.redis is not None and self._redis_ok else self.memory

    def _run(self, op: Callable[[Store], T]) -> T:
        store = self._store()
        if store is self.memory:
            return op(store)
        try:
            return op(store)
        except redis.RedisError as exc:
            self._redis_failed(exc)
            return op(self.memory)

    def _redis_failed(self, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:300]
        with self._state_lock:
            self.last_error = reason
            if not self._redis_ok:
                return
            self._redis_ok = False
            self.fallback_since = datetime.now(UTC)
            self.memory.clear()
        log.warning(
            "Redis cache unreachable (%s); using the in-process cache, retrying every %g s. "
            "Reads and writes keep working; start Redis at %s again (or fix VIGIA_REDIS_URL) "
            "and the backend goes back to it by itself",
            reason,
            self.retry_s,
            self.redis.url if self.redis is not None else "?",
        )

    def try_recover(self) -> bool:
        """Ping Redis (if configured); switch back to it when it answers. True = on Redis."""
        if self.redis is None:
            return False
        try:
            self.redis.ping()
            if not self._redis_ok:
                with self._all_locks():  # no store or invalidation runs while switching
                    self.redis.clear()  # entries older than the outage may be stale
                    with self._state_lock:
                        self._redis_ok = True
                        self.fallback_since = None
                        self.last_recovery = datetime.now(UTC)
                log.info("Redis cache reachable again at %s; using it", self.redis.url)
        except redis.RedisError as exc:
            self._redis_failed(exc)
            return False
        return True

    @contextlib.contextmanager
    def _all_locks(self) -> Iterator[None]:
        for lock in self._locks:
            lock.acquire()
        try:
            yield
        finally:
            for lock in reversed(self._locks):
                lock.release()

    # -- reads ----------------------------------------------------------------
    @staticmethod
    def _slot(namespace: str, key: str) -> int:
        return hash((namespace, key)) % _SLOTS

    def ticket(self, namespace: str, key: object) -> Ticket:
        return Ticket(self._epoch, self._generations[self._slot(namespace, str(key))])

    def get(self, namespace: str, key: object) -> Any | None:
        """The cached value or None; counts a hit or a miss."""
        text = self._run(lambda s: s.get(namespace, str(key)))
        value: Any = None
        if text is not None:
            with contextlib.suppress(ValueError):
                value = json.loads(text)
        if value is None:
            self.miss_count += 1
            if self._misses is not None:
                self._misses.inc()
        else:
            self.hit_count += 1
            if self._hits is not None:
                self._hits.inc()
        return value

    def set(
        self, namespace: str, key: object, value: Any, ticket: Ticket, ttl_s: float | None = None
    ) -> bool:
        """Store ``value`` unless the key was invalidated since ``ticket``; True if stored."""
        k = str(key)
        slot = self._slot(namespace, k)
        text = json.dumps(value, separators=(",", ":"))
        ttl = self.ttl_s if ttl_s is None else ttl_s
        with self._locks[slot % _LOCKS]:
            if ticket != Ticket(self._epoch, self._generations[slot]):
                return False
            self._run(lambda s: s.set(namespace, k, text, ttl))
        return True

    def fetch(self, namespace: str, key: object, loader: Callable[[], T]) -> T:
        """The cached value, or ``loader()`` stored for next time (JSON-ready values only)."""
        if not self.enabled:
            return loader()
        cached = self.get(namespace, key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        ticket = self.ticket(namespace, key)  # before the database is read
        value = loader()
        self.set(namespace, key, value, ticket)
        return value

    # -- writes ---------------------------------------------------------------
    def invalidate(self, namespace: str, *keys: object) -> None:
        for key in keys:
            k = str(key)
            slot = self._slot(namespace, k)
            with self._locks[slot % _LOCKS]:
                self._generations[slot] += 1
                self._run(functools.partial(_delete, namespace=namespace, key=k))

    def clear(self, namespace: str | None = None) -> int:
        """Empty the cache (one namespace or all); in-flight reads will not store."""
        with self._all_locks():
            self._epoch += 1
            removed = self.memory.clear(namespace)
            if self.redis is not None and self._redis_ok:
                try:
                    removed += self.redis.clear(namespace)
                except redis.RedisError as exc:
                    self._redis_failed(exc)
        return removed

    # -- status ---------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        lookups = self.hit_count + self.miss_count
        doc: dict[str, Any] = {
            "backend": self.backend,
            "enabled": self.enabled,
            "status": "warn" if self.degraded else "pass",
            "ttl_s": self.ttl_s,
            "max_entries": self.memory.max_entries,
            "memory_entries": self.memory.size(),
            "hits": self.hit_count,
            "misses": self.miss_count,
            "hit_ratio": round(self.hit_count / lookups, 4) if lookups else None,
            "redis": None,
        }
        if self.degraded:
            doc["output"] = FALLBACK_OUTPUT
        if self.redis is not None:
            doc["redis"] = {
                "url": self.redis.url,
                "prefix": self.redis.prefix,
                "reachable": self._redis_ok,
                "fallback_since": _iso(self.fallback_since),
                "last_error": self.last_error,
                "last_recovery": _iso(self.last_recovery),
                "retry_s": self.retry_s,
            }
        return doc

    # -- lifespan (a BackgroundService) ---------------------------------------
    async def start(self) -> None:
        if self.redis is None:
            return
        if await anyio.to_thread.run_sync(self.try_recover):
            log.info("cache on Redis at %s (prefix %s)", self.redis.url, self.redis.prefix)
        self._task = asyncio.create_task(self._watch(), name="vigia-cache-redis")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.redis is not None:
            self.redis.close()

    async def _watch(self) -> None:
        """Ping Redis every ``retry_s``: notices an outage without traffic, and recovers."""
        while True:
            await asyncio.sleep(self.retry_s)
            await anyio.to_thread.run_sync(self.try_recover)


def _delete(store: Store, namespace: str, key: str) -> None:
    store.delete(namespace, key)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def build_cache(
    settings: Settings, hits: Counter | None = None, misses: Counter | None = None
) -> CacheFront:
    redis_store = None
    if settings.redis_url:
        prefix = settings.cache_key_prefix or default_prefix(settings.home)
        redis_store = RedisStore(settings.redis_url, prefix, settings.cache_redis_timeout_s)
    return CacheFront(
        MemoryStore(settings.cache_max_entries),
        redis_store,
        ttl_s=settings.cache_ttl_s,
        retry_s=settings.cache_redis_retry_s,
        hits=hits,
        misses=misses,
    )
