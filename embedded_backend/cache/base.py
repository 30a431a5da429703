"""The interface every cache store implements.

Values are JSON text (``str``): the front serialises the JSON-ready dicts of the output
models, so both stores hold immutable values and a caller can never mutate a cached one.
Keys are ``(namespace, key)``; a namespace is a resource name such as ``products``.
"""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    name: str

    def get(self, namespace: str, key: str) -> str | None: ...

    def set(self, namespace: str, key: str, value: str, ttl_s: float) -> None: ...

    def delete(self, namespace: str, key: str) -> None: ...

    def clear(self, namespace: str | None = None) -> int:
        """Remove every entry of ``namespace`` (all namespaces when None); how many."""
        ...

    def size(self) -> int | None:
        """Entries held, when cheap to know (None otherwise)."""
        ...
