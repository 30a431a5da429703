"""Hypothesis keeps its files under .pytest_cache, not in ./.hypothesis.

pyproject's ``norecursedirs`` replaces pytest's defaults (which skip dot-directories), so a
``.hypothesis`` directory in the repo makes Hypothesis's plugin warn at collection, and with
``filterwarnings = error`` that fails every later run.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(__file__).resolve().parents[3] / ".pytest_cache" / "hypothesis")
