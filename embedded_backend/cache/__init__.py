"""The read cache: in-process TTL store, optional Redis store, and the front that picks one.

See :mod:`embedded_backend.cache.front` for how invalidation stays correct under races.
"""

from __future__ import annotations

from embedded_backend.cache.base import Store
from embedded_backend.cache.front import CacheFront, Ticket, build_cache
from embedded_backend.cache.memory import MemoryStore
from embedded_backend.cache.redis_store import RedisStore

__all__ = ["CacheFront", "MemoryStore", "RedisStore", "Store", "Ticket", "build_cache"]
