"""Follow a log file that is rotated by renaming, without losing or repeating lines.

The backend's RotatingFileHandler renames ``backend.jsonl`` to ``backend.jsonl.1`` (and
``.1`` to ``.2`` ...) and starts a new ``backend.jsonl``. :class:`LogFollower` remembers
the identity (device, inode / file index) of the file it reads and how far it got; when
``backend.jsonl`` is another file, it finds the old one among the rotated files by its
identity, reads what was written there after the last poll, then any files rotated in
between, then the new file from its start. No file is kept open between polls (Windows
could not rename it). A file cut shorter in place (copy-truncate) is read from its start.

Only whole lines are returned; a line still being written waits for the next poll.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from embedded_backend.logs.reader import log_files

log = logging.getLogger(__name__)

Identity = tuple[int, int]
MAX_READ = 64 * 1024 * 1024  # per file per poll: a burst bigger than this is skipped


def identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


class LogFollower:
    def __init__(self, current: Path) -> None:
        self.current = current
        self._identity: Identity | None = None
        self._offset = 0
        self.rotations = 0  # rotations seen (tests, status)

    def start_at_end(self) -> int | None:
        """Follow from the current end; returns that offset (None: no file yet, lines
        are followed from the start of the file once it exists)."""
        st = _stat(self.current)
        if st is None:
            self._identity, self._offset = None, 0
            return None
        self._identity, self._offset = identity(st), st.st_size
        return st.st_size

    def poll(self) -> list[bytes]:
        """Whole lines appended since the previous poll (oldest first, no line ends)."""
        st = _stat(self.current)
        lines: list[bytes] = []
        if self._identity is not None and (st is None or identity(st) != self._identity):
            lines += self._drain_rotated()
            self.rotations += 1
            self._identity, self._offset = None, 0
        if st is None:
            return lines
        if self._identity is None:
            self._identity, self._offset = identity(st), 0
        elif st.st_size < self._offset:  # truncated in place
            log.info("%s was truncated; reading it from the start", self.current)
            self._offset = 0
        read = self._read(self.current, self._offset, self._identity)
        if read is not None:
            new_lines, self._offset = read
            lines += new_lines
        return lines

    def _drain_rotated(self) -> list[bytes]:
        """The rest of the file followed so far (now a rotated one), then every file
        rotated after it, oldest first."""
        rotated = [p for p in log_files(self.current) if p != self.current]
        index = None
        for i, path in enumerate(rotated):
            st = _stat(path)
            if st is not None and identity(st) == self._identity:
                index = i
                break
        if index is None:
            log.info("the log file followed was rotated away before its end was read")
            return []
        lines: list[bytes] = []
        # rotated[index] is the old file; rotated[index - 1] ... rotated[0] came after it.
        for i in range(index, -1, -1):
            path = rotated[i]
            st = _stat(path)
            if st is None:
                continue
            start = self._offset if i == index else 0
            read = self._read(path, start, identity(st), whole=True)
            if read is not None:
                lines += read[0]
        return lines

    @staticmethod
    def _read(
        path: Path, offset: int, expected: Identity | None, whole: bool = False
    ) -> tuple[list[bytes], int] | None:
        """Lines of ``path`` from ``offset``; None when ``path`` is no longer the file
        expected (it was rotated between the stat and the open: next poll)."""
        try:
            with path.open("rb") as fh:
                if expected is not None and identity(os.fstat(fh.fileno())) != expected:
                    return None
                size = os.fstat(fh.fileno()).st_size
                if size - offset > MAX_READ:
                    log.warning(
                        "%s grew by %d bytes since the last look; showing only its end",
                        path,
                        size - offset,
                    )
                    offset = size - MAX_READ
                    fh.seek(offset)
                    offset += len(fh.readline())
                fh.seek(offset)
                data = fh.read(size - offset)
        except OSError:
            return None
        end = len(data) if whole else data.rfind(b"\n") + 1
        body = data[:end]
        lines = [line for line in body.split(b"\n") if line.strip()]
        return lines, offset + end
