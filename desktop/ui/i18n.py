"""UI language: Qt Linguist translations chosen from the system locale (or a setting).

English is the source language of every string, so English needs no file. For another
locale, every ``resources/translations/*_<locale>.qm`` is loaded (``vigia_pt_BR.qm``,
``windows_pt_BR.qm``, ...: each part of the app may ship its own), trying the full name
(``pt_BR``), then the language (``pt``), then any country of that language (a
Portuguese user outside Brazil gets ``pt_BR`` rather than English). Qt's own strings
(standard buttons) come from Qt's ``qtbase_<locale>.qm`` when it ships one.

The ``.qm`` files are build outputs of the ``.ts`` sources (``scripts/translations.sh``,
run by ``scripts/bootstrap.sh``); without them the UI is in English.

Strings outside QObjects (the core's alert texts, marked with a plain ``tr(...)`` call)
are in the empty context: :func:`translate_core` looks them up there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop.ui.resources import translations_dir

log = logging.getLogger(__name__)

SUPPORTED = ("en", "pt_BR")  # offered in the settings; English is the source text


@dataclass
class Translation:
    locale: QLocale
    files: list[Path] = field(default_factory=list)
    translators: list[QTranslator] = field(default_factory=list)

    def remove(self) -> None:
        for translator in self.translators:
            QCoreApplication.removeTranslator(translator)
        self.translators.clear()


def choose_locale(override: str | None = None) -> QLocale:
    """The settings' language when given, else the system's."""
    if override:
        return QLocale(override)
    return QLocale.system()


def qm_files(locale: QLocale, directory: Path | None = None) -> list[Path]:
    """The translation files for ``locale``: one per part, the most specific match."""
    directory = directory or translations_dir()
    if not directory.is_dir():
        return []
    name = locale.name()  # "pt_BR"
    language = name.split("_")[0]
    if language in ("C", "en"):
        return []
    chosen: dict[str, Path] = {}
    for pattern in (f"*_{name}.qm", f"*_{language}.qm", f"*_{language}_*.qm"):
        for path in sorted(directory.glob(pattern)):
            part = path.name[: path.name.index(f"_{language}")]
            chosen.setdefault(part, path)
    return sorted(chosen.values())


def install(override: str | None = None, directory: Path | None = None) -> Translation:
    """Load the translations for the chosen locale into the running application."""
    locale = choose_locale(override)
    QLocale.setDefault(locale)
    result = Translation(locale)
    files = qm_files(locale, directory)
    qt_own = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    if files and (qt_own / f"qtbase_{locale.name()}.qm").exists():
        files = [qt_own / f"qtbase_{locale.name()}.qm", *files]
    for path in files:
        translator = QTranslator()
        if translator.load(str(path)):
            QCoreApplication.installTranslator(translator)
            result.translators.append(translator)
            result.files.append(path)
        else:
            log.warning("cannot load the translation %s; those texts stay in English", path)
    if result.files:
        log.info("UI language %s (%s)", locale.name(), ", ".join(p.name for p in result.files))
    elif locale.name().split("_")[0] not in ("C", "en"):
        log.info(
            "no translation for %s found in %s; the UI is in English",
            locale.name(),
            directory or translations_dir(),
        )
    return result


def translate_core(text: str) -> str:
    """The translation of one of the core's texts (the empty context)."""
    return QCoreApplication.translate("", text)


def tr(text: str) -> str:
    """Translate a text of a module that is not a QObject (the empty context, like the
    core's). Call it with a literal so ``pyside6-lupdate`` finds the text."""
    return QCoreApplication.translate("", text)
