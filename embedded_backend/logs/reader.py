"""Read ``backend.jsonl`` and its rotated files from the end, with filters.

Used by the admin API (``GET /api/v1/admin/logs``), the tray's log viewer (local files)
and the diagnostics bundle. It never loads a whole file: lines are read backwards in
blocks from the end of the newest file, through the rotated ones (``backend.jsonl.1`` is
the newest of those), until enough records match or the filters say stop.

A record is the JSON object of one line (``ts``, ``level``, ``logger``, ``msg``,
``request_id``, ``thread``, extras, ``exc``). A line that is not a JSON object (a
foreign writer, a line cut by a crash) is kept as ``{"ts": None, "level": None,
"msg": <the text>}`` so a text search still finds it; a level filter leaves it out.

Secrets are redacted when the file is written (:mod:`embedded_backend.logs.setup`);
nothing here changes a record.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Record = dict[str, Any]

LEVELS: dict[str, int] = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
BLOCK_SIZE = 1 << 20  # bytes read per step, backwards
STOP_CHECK_LINES = 2000  # tail() asks should_stop() this often

# A needle containing one of these may be escaped in the raw JSON line (\" \\ \n ...), so
# the fast test on the raw line cannot rule a line out.
_ESCAPED = re.compile(r'["\\\x00-\x1f\x7f]')


def log_files(current: Path) -> list[Path]:
    """``current`` and its rotated files that exist, newest first
    (``backend.jsonl``, ``backend.jsonl.1``, ``backend.jsonl.2`` ...)."""
    found: list[tuple[int, Path]] = []
    if current.is_file():
        found.append((0, current))
    prefix = current.name + "."
    try:
        entries = list(os.scandir(current.parent))
    except OSError:
        entries = []
    for entry in entries:
        suffix = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        if suffix.isdigit() and entry.is_file():
            found.append((int(suffix), Path(entry.path)))
    return [path for _, path in sorted(found)]


def level_number(level: object) -> int:
    """10..50 for the standard level names (any case), 0 for anything else."""
    return LEVELS.get(str(level).upper(), 0) if level is not None else 0


def parse_line(line: bytes | str) -> Record:
    text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
    text = text.rstrip("\r\n")
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        return value
    return {"ts": None, "level": None, "msg": text}


def record_time(record: Record) -> datetime | None:
    """The record's ``ts`` as an aware datetime, or None when missing or unreadable."""
    ts = record.get("ts")
    if not isinstance(ts, str):
        return None
    try:
        moment = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive one is taken as UTC); clamped at the calendar's ends."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. year 1 at +14:00
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def record_text(record: Record) -> str:
    """Everything a text search looks at: every value of the record."""
    return " ".join(str(value) for value in record.values() if value is not None)


@dataclass(frozen=True)
class LogFilter:
    """What records to keep. ``level`` is a minimum (``WARNING`` keeps warnings, errors
    and critical); ``text`` a case-insensitive substring of any value; ``request_id`` an
    exact request id; ``since`` the oldest time wanted (inclusive)."""

    level: str | None = None
    text: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    _min_level: int = field(init=False, repr=False, compare=False)
    _needle: str | None = field(init=False, repr=False, compare=False)
    _raw_test: bool = field(init=False, repr=False, compare=False)
    _request_bytes: bytes | None = field(init=False, repr=False, compare=False)
    _level_bytes: tuple[bytes, ...] = field(init=False, repr=False, compare=False)
    _since_utc: datetime | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.level is not None and self.level.upper() not in LEVELS:
            raise ValueError(f"unknown log level '{self.level}'; use one of {', '.join(LEVELS)}")
        needle = self.text.casefold() if self.text else None
        request_bytes = self.request_id.encode("utf-8") if self.request_id else None
        since = as_utc(self.since) if self.since is not None else None
        set_ = object.__setattr__
        minimum = level_number(self.level) if self.level else 0
        set_(self, "_min_level", minimum)
        # A line whose record has one of these levels contains one of these strings.
        wanted = [name for name, number in LEVELS.items() if minimum and number >= minimum]
        spelled = {f'"{v}"'.encode() for n in wanted for v in (n, n.lower(), n.capitalize())}
        set_(self, "_level_bytes", tuple(sorted(spelled)))
        set_(self, "_needle", needle)
        set_(self, "_raw_test", needle is not None and not _ESCAPED.search(needle))
        set_(self, "_request_bytes", request_bytes)
        set_(self, "_since_utc", since)

    @property
    def is_empty(self) -> bool:
        return not (self.level or self.text or self.request_id or self.since)

    def may_match(self, line: bytes) -> bool:
        """A fast test on the raw line: False only when the record cannot match."""
        if self._request_bytes is not None and self._request_bytes not in line:
            return False
        if self._level_bytes and not any(name in line for name in self._level_bytes):
            return False
        if self._raw_test:
            assert self._needle is not None
            return self._needle in line.decode("utf-8", "replace").casefold()
        return True

    def matches(self, record: Record) -> bool:
        if self._min_level and level_number(record.get("level")) < self._min_level:
            return False
        if self.request_id is not None and record.get("request_id") != self.request_id:
            return False
        if self._needle is not None and self._needle not in record_text(record).casefold():
            return False
        if self._since_utc is not None:
            moment = record_time(record)
            if moment is not None and moment < self._since_utc:
                return False
        return True

    def is_before_since(self, record: Record) -> bool:
        """True when the record is older than ``since`` (reading backwards: stop)."""
        if self._since_utc is None:
            return False
        moment = record_time(record)
        return moment is not None and moment < self._since_utc


@dataclass
class Tail:
    items: list[Record]  # oldest first, newest last
    truncated: bool  # more matching records exist before the first item
    scanned_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"items": self.items, "truncated": self.truncated}


def lines_backwards(
    path: Path,
    end: int | None = None,
    *,
    skip_partial: bool = False,
    block_size: int = BLOCK_SIZE,
) -> Iterator[tuple[bytes, int]]:
    """Lines of ``path`` from the last to the first, without their line ends, each with
    the number of bytes read so far. ``end`` stops reading at that offset (a size taken
    earlier); ``skip_partial`` leaves out a last line without its newline (the file is
    being written: it is not a line yet). A missing file yields nothing; empty lines are
    skipped."""
    try:
        fh = path.open("rb")
    except OSError:
        return
    with fh:
        size = fh.seek(0, os.SEEK_END)
        position = size if end is None else min(end, size)
        if skip_partial and position:
            fh.seek(position - 1)
            if fh.read(1) != b"\n":
                position = _last_newline(fh, position) + 1
        carry = b""
        read = 0
        while position > 0:
            step = min(block_size, position)
            position -= step
            fh.seek(position)
            chunk = fh.read(step)
            read += len(chunk)
            parts = (chunk + carry).split(b"\n")
            carry = parts[0]
            for line in reversed(parts[1:]):
                if line.strip():
                    yield line, read
        if carry.strip():
            yield carry, read


def _last_newline(fh: Any, position: int) -> int:
    """Offset of the last ``\\n`` before ``position`` (-1 when there is none)."""
    while position > 0:
        step = min(BLOCK_SIZE, position)
        position -= step
        fh.seek(position)
        chunk: bytes = fh.read(step)
        index = chunk.rfind(b"\n")
        if index >= 0:
            return position + index
    return -1


def tail(
    current: Path,
    filters: LogFilter | None = None,
    limit: int = DEFAULT_LIMIT,
    *,
    end: int | None = None,
    files: Iterable[Path] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Tail:
    """The newest ``limit`` records of ``current`` and its rotated files that match
    ``filters``, oldest first. ``end`` reads ``current`` only up to that offset (where
    a follower takes over). ``truncated`` says that older matching records exist.
    ``should_stop`` is asked every few thousand lines; when it says True the search
    ends there (what was found so far is returned, ``truncated``)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    filters = filters or LogFilter()
    newest_first: list[Record] = []
    scanned = 0
    truncated = False
    paths = list(files) if files is not None else log_files(current)
    done = False
    for path in paths:
        read = 0
        newest = path == current
        lines = lines_backwards(path, end if newest else None, skip_partial=newest and end is None)
        for count, (line, read_so_far) in enumerate(lines, 1):
            read = read_so_far
            if should_stop is not None and count % STOP_CHECK_LINES == 0 and should_stop():
                truncated = done = True
                break
            if not filters.may_match(line):
                continue
            record = parse_line(line)
            if filters.is_before_since(record):
                done = True
                break
            if not filters.matches(record):
                continue
            if len(newest_first) == limit:
                truncated = True
                done = True
                break
            newest_first.append(record)
        scanned += read
        if done:
            break
    newest_first.reverse()
    return Tail(newest_first, truncated, scanned)
