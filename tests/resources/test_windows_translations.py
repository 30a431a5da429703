"""resources/translations/windows_pt_BR.ts covers every text of the log, backups,
settings and diagnostics windows, finished, with the same placeholders; and the compiled
file really translates (Qt loads it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "windows_pt_BR.ts"
SOURCES = [
    "desktop/ui/logs/viewer.py",
    "desktop/ui/logs/model.py",
    "desktop/ui/logs/worker.py",
    "desktop/ui/backups.py",
    "desktop/ui/job_follower.py",
    "desktop/ui/settings_dialog.py",
    "desktop/ui/diagnostics.py",
]
BIN = Path(sys.executable).parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the app
PLACEHOLDER = re.compile(r"\{\d\}|%n")

Messages = dict[tuple[str, str], list[str]]


def messages(path: Path) -> Messages:
    found: Messages = {}
    for context in ET.parse(path).getroot():
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            if translation.get("type") in ("unfinished", "vanished", "obsolete"):
                texts: list[str] = []
            elif message.get("numerus") == "yes":
                texts = [form.text or "" for form in translation.iter("numerusform")]
            else:
                texts = [translation.text or ""]
            found[(name, message.findtext("source") or "")] = texts
    return found


def test_every_text_is_translated(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    subprocess.run(
        [BIN / "pyside6-lupdate", "-locations", "none", *SOURCES, "-ts", fresh],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    wanted = set(messages(fresh))
    have = messages(TS)
    missing = sorted(key for key in wanted if not all(have.get(key) or [""]))
    assert not missing, f"untranslated (run pyside6-lupdate, then translate): {missing}"
    assert set(have) == wanted, f"stale entries: {sorted(set(have) - wanted)}"


def test_placeholders_are_kept() -> None:
    for (context, source), texts in messages(TS).items():
        # %n may be spelled out in a singular form ("o registro mais recente").
        expected = sorted(p for p in PLACEHOLDER.findall(source) if p != "%n")
        for text in texts:
            got = sorted(p for p in PLACEHOLDER.findall(text) if p != "%n")
            assert got == expected, (context, source, text)
        if "%n" in source:
            assert "%n" in texts[-1], (context, source, texts)  # the plural shows the number


@pytest.fixture
def translator(qapp: QApplication, tmp_path: Path) -> Iterator[QTranslator]:
    qm = tmp_path / "windows_pt_BR.qm"
    subprocess.run([BIN / "pyside6-lrelease", "-silent", TS, "-qm", qm], check=True, timeout=120)
    loaded = QTranslator()
    assert loaded.load(str(qm))
    QCoreApplication.installTranslator(loaded)
    yield loaded
    QCoreApplication.removeTranslator(loaded)


def test_qt_loads_the_translations(translator: QTranslator) -> None:
    assert QCoreApplication.translate("LogViewer", "Follow") == "Acompanhar"
    assert QCoreApplication.translate("BackupsWindow", "Back up now") == "Fazer backup agora"
    assert (
        QCoreApplication.translate("LogViewer", "Showing %n record(s).", "", 2)
        == "Mostrando 2 registros."
    )
