"""Translations: the pt_BR sources are complete and consistent, compile with the
venv's lrelease, and load by locale with the fallbacks the loader promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from pytestqt.qtbot import QtBot

from desktop.ui import i18n
from desktop.ui.resources import translations_dir

TS = translations_dir() / "vigia_pt_BR.ts"
LRELEASE = Path(sys.executable).with_name("pyside6-lrelease")
FIELD = re.compile(r"\{[^{}]*\}")


def messages(path: Path) -> Iterator[tuple[str, str, ET.Element]]:
    for context in ET.parse(path).getroot():
        name = context.findtext("name") or ""
        for message in context.findall("message"):
            yield name, message.findtext("source") or "", message


def test_every_text_is_translated_with_the_same_placeholders() -> None:
    count = 0
    for context, source, message in messages(TS):
        translation = message.find("translation")
        assert translation is not None and translation.get("type") is None, (context, source)
        text = translation.text or ""
        assert text.strip(), (context, source)
        assert sorted(FIELD.findall(text)) == sorted(FIELD.findall(source)), (context, source)
        if "&" in source:  # a menu mnemonic keeps one
            assert text.count("&") == source.count("&"), (context, source)
        count += 1
    assert count > 100


@pytest.fixture
def compiled(tmp_path: Path) -> Path:
    for ts in translations_dir().glob("*.ts"):
        subprocess.run(
            [str(LRELEASE), "-silent", str(ts), "-qm", str(tmp_path / f"{ts.stem}.qm")],
            check=True,
        )
    return tmp_path


def test_brazilian_portuguese_loads_and_translates(qtbot: QtBot, compiled: Path) -> None:
    previous = QLocale()
    loaded = i18n.install("pt_BR", compiled)
    try:
        assert compiled / "vigia_pt_BR.qm" in loaded.files
        assert QCoreApplication.translate("TrayIcon", "&Open dashboard") == "&Abrir painel"
        assert i18n.translate_core("Database not answering") == "Banco de dados não responde"
        assert i18n.tr("running") == "funcionando"
    finally:
        loaded.remove()
        QLocale.setDefault(previous)
    assert QCoreApplication.translate("TrayIcon", "&Open dashboard") == "&Open dashboard"


def test_locale_fallbacks(tmp_path: Path) -> None:
    for name in ("vigia_pt_BR.qm", "windows_pt_BR.qm", "vigia_de.qm", "other_es_ES.qm"):
        (tmp_path / name).write_bytes(b"")
    pt_br = [p.name for p in i18n.qm_files(QLocale("pt_BR"), tmp_path)]
    assert pt_br == ["vigia_pt_BR.qm", "windows_pt_BR.qm"]
    # A Portuguese user outside Brazil gets Brazilian Portuguese rather than English.
    assert [p.name for p in i18n.qm_files(QLocale("pt_PT"), tmp_path)] == pt_br
    assert [p.name for p in i18n.qm_files(QLocale("de_AT"), tmp_path)] == ["vigia_de.qm"]
    assert i18n.qm_files(QLocale("en_US"), tmp_path) == []
    assert i18n.qm_files(QLocale("pt_BR"), tmp_path / "missing") == []


def test_without_compiled_files_the_ui_is_english(qtbot: QtBot, tmp_path: Path) -> None:
    previous = QLocale()
    loaded = i18n.install("pt_BR", tmp_path)
    try:
        assert loaded.files == []
        assert i18n.tr("running") == "running"
    finally:
        loaded.remove()
        QLocale.setDefault(previous)


def test_the_translations_script_compiles_what_changed(tmp_path: Path) -> None:
    script = translations_dir().parents[1] / "scripts" / "translations.sh"
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    shutil.copy(script, copy / "scripts")
    shutil.copytree(
        translations_dir(),
        copy / "resources" / "translations",
        ignore=shutil.ignore_patterns("*.qm"),
    )
    (copy / ".venv").symlink_to(Path(sys.executable).parents[1])
    subprocess.run(["bash", str(copy / "scripts" / "translations.sh")], check=True)
    assert (copy / "resources" / "translations" / "vigia_pt_BR.qm").stat().st_size > 1000
