"""Small real file systems for fault tests: a tmpfs of a given size, remountable read-only.

Faults like "disk full" and "database made read-only" need the kernel to refuse the
write; the tests run as root, which ignores file modes, so a tiny tmpfs mounted on a
test's own directory is the honest way to get ENOSPC or EROFS::

    with tmpfs(tmp_path / "logs", size="256k") as mount:
        ...                      # fill it, watch the product
        mount.remount(read_only=True)

The file system is always unmounted when the block ends (lazily if a process still
holds files open in it), even when the test fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def can_mount() -> bool:
    """Mounting needs root (CI and the dev container run the tests as root) and Linux."""
    return (
        os.name == "posix"
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
        and shutil.which("mount") is not None
    )


needs_mount = pytest.mark.skipif(not can_mount(), reason="needs root on Linux to mount a tmpfs")


def _run(*args: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip() or done.stdout}")


@dataclass
class Mount:
    path: Path
    size: str

    def remount(self, *, read_only: bool) -> None:
        _run("mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(self.path))

    def remount_size(self, size: str) -> None:
        """Grow (or shrink) the file system in place: "space was freed"."""
        _run("mount", "-o", f"remount,size={size}", str(self.path))
        self.size = size

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.path).free

    def fill(self, keep_bytes: int = 0, name: str = "filler.bin") -> Path:
        """Write a file until only ``keep_bytes`` (about) are left; return its path."""
        filler = self.path / name
        chunk = b"\0" * 4096
        with filler.open("ab") as out:
            try:
                while self.free_bytes() > keep_bytes:
                    out.write(chunk)
                    out.flush()
            except OSError:  # ENOSPC: full, as asked
                pass
        return filler


@contextmanager
def tmpfs(path: Path, size: str = "1m") -> Iterator[Mount]:
    """Mount a ``size`` tmpfs on ``path`` (created if missing); unmount at the end."""
    path.mkdir(parents=True, exist_ok=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    try:
        yield Mount(path, size)
    finally:
        # Lazy unmount: a server killed a moment ago may still hold a file open here.
        subprocess.run(("umount", "-l", str(path)), capture_output=True, check=False, timeout=30)
