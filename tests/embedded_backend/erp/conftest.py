"""The ERP tests' database (a migrated SQLite file in the temp home), and Hypothesis's files.

Hypothesis keeps its files under .pytest_cache, not in ./.hypothesis.

pyproject's ``norecursedirs`` replaces pytest's defaults (which skip dot-directories), so a
``.hypothesis`` directory in the repo makes Hypothesis's plugin warn at collection, and with
``filterwarnings = error`` that fails every later run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.db.migrate import migrate_to_head

set_hypothesis_home_dir(Path(__file__).resolve().parents[3] / ".pytest_cache" / "hypothesis")


# A migrated SQLite database in the test's temp VIGIA_HOME, for the service-level tests.
@pytest.fixture
def db(make_settings: Callable[..., Settings]) -> Iterator[Database]:
    settings = make_settings()
    settings.paths.ensure()
    database = Database(settings)
    migrate_to_head(database.engine)
    yield database
    database.dispose()
