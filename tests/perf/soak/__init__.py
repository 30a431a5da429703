"""Soak test: `vigia serve` under 64 connections of mixed reads and order writes.

``python -m tests.perf.soak --minutes 10`` is the benchmark (see tests/perf/README.md,
"Soak"); ``test_soak.py`` runs the same code for 60 s in the test suite.

The benchmark helpers next to this package (``bench_servers``, ``bench_wrk``) are
scripts that import each other by their bare names, so their directory goes on
``sys.path`` here, before any module of this package imports them.
"""

from __future__ import annotations

import sys
from pathlib import Path

PERF_DIR = Path(__file__).resolve().parent.parent
if str(PERF_DIR) not in sys.path:
    sys.path.insert(0, str(PERF_DIR))
