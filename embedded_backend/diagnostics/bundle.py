"""The zip being written: :class:`Bundle` (what went in), :class:`Writer` (adds a part,
every known secret value replaced; a part that fails is noted, not raised) and
:class:`Scrubber`."""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embedded_backend.config import Settings
from embedded_backend.config.settings import SECRET_FIELDS
from embedded_backend.errors import Error
from embedded_backend.logs.redaction import MASK, redact

log = logging.getLogger(__name__)


class DiagnosticsError(Error):
    """The bundle cannot be written where asked; the message says why and what to do."""


@dataclass
class Bundle:
    path: Path
    files: list[str] = field(default_factory=list)  # names inside the zip
    problems: list[str] = field(default_factory=list)  # parts that could not be collected
    logs_truncated: bool = False
    size: int = 0


class Scrubber:
    """Replaces every known secret value, then the usual patterns (URL passwords...)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._bytes = [(s.encode(), MASK.encode()) for s in self.secrets]

    def text(self, value: str, patterns: bool = True) -> str:
        for secret in self.secrets:
            value = value.replace(secret, MASK)
        return redact(value) if patterns else value

    def raw(self, chunk: bytes) -> bytes:
        """Known values only (log lines were redacted by pattern when written)."""
        for secret, mask in self._bytes:
            if secret in chunk:
                chunk = chunk.replace(secret, mask)
        return chunk


def known_secrets(settings: Settings | None, token: str | None) -> list[str]:
    from embedded_backend.secrets import ADMIN_TOKEN, DATABASE_PASSWORD, SECRET_KEY, Keyring

    found = [token or ""]
    store = Keyring()
    for name in (ADMIN_TOKEN, SECRET_KEY, DATABASE_PASSWORD):
        found.append(store.get(name) or "")
    if settings is not None:
        for name in SECRET_FIELDS:
            value = getattr(settings, name, None)
            found.append(value.get_secret_value() if value is not None else "")
        for url in (settings.database_url, settings.redis_url, settings.effective_database_url):
            found.append(url_password(url) or "")
    return found


def url_password(raw: str | None) -> str | None:
    if not raw or "@" not in raw:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(raw).password
    except ArgumentError:
        return None
    return str(password) if password else None


class Writer:
    """Adds one part at a time; a part that fails is named in the README, not raised."""

    def __init__(self, zf: zipfile.ZipFile, scrub: Scrubber, bundle: Bundle) -> None:
        self.zf, self.scrub, self.bundle = zf, scrub, bundle

    def text(self, name: str, make: Callable[[], str], patterns: bool = True) -> None:
        try:
            content = make()
        except Exception as exc:  # one part failing must not stop the rest
            log.exception("diagnostics: could not collect %s", name)
            self.bundle.problems.append(f"{name}: {type(exc).__name__}: {exc}")
            return
        self.zf.writestr(name, self.scrub.text(content, patterns))
        self.bundle.files.append(name)

    def json(self, name: str, make: Callable[[], Any], patterns: bool = True) -> None:
        dump = lambda: json.dumps(make(), indent=2, ensure_ascii=False, default=str)  # noqa: E731
        self.text(name, dump, patterns)

    def value(self, name: str, value: Any) -> None:
        self.json(name, lambda: value)
