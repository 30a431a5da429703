"""Remove secrets from log text before it is written anywhere."""

from __future__ import annotations

import re
import threading

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host  ->  scheme://user:***@host
    (re.compile(r"(?P<keep>\b[a-zA-Z][\w+.-]*://[^:/@\s]+:)[^@\s]+@"), rf"\g<keep>{MASK}@"),
    # Authorization: Bearer xyz / Basic xyz
    (
        re.compile(r"(?P<keep>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
        rf"\g<keep>{MASK}",
    ),
    # JSON Web Tokens wherever they appear
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"), MASK),
    # password=..., "token": "...", secret_key: ...
    (
        re.compile(
            r"(?P<keep>\b[\w-]*(?:password|passwd|pwd|secret|token|api[_-]?key|authorization)"
            r"[\w-]*[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)[^\s\"'&,;}\]]+",
            re.IGNORECASE,
        ),
        rf"\g<keep>{MASK}",
    ),
)

_known: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Redact this exact value everywhere from now on (admin token, signing key...)."""
    if value and len(value) >= 8:
        with _known_lock:
            _known.add(value)


def redact(text: str) -> str:
    for secret in tuple(_known):
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
