"""The support bundle (``vigia diagnostics PATH.zip``, tray menu "Export diagnostics").

One zip with what an IT person asks for first, and a README.txt saying what is in it::

    README.txt              what each file is, when and where it was made, what is missing
    settings.json           effective settings; secrets left out, URL passwords masked
    vigia.toml              the settings file, passwords masked (when there is one)
    preflight.json          `vigia check --json`
    backend/health.json     /health of a running backend, or why there is none
    backend/*.json          its alerts, routers, performance and system info (admin token)
    desktop/health-history.csv, desktop/alerts.json   the tray's history (when it exists)
    system.json             machine, OS, memory, disk, this process (psutil)
    versions.json           Python, Vigia, every installed package
    backups.json            the backup listing (complete, bad, ignored)
    logs/                   backend.jsonl and its rotated files, newest first, up to a
                            size cap (LOG_BUDGET_BYTES uncompressed; the README says when
                            older lines were left out)

Never in it: the database, backup files, the admin token, the signing key, database
passwords. Log files were redacted when written; on top of that every known secret value
is replaced by ``***`` in everything written to the zip. No Qt here: the tray runs
:func:`export_diagnostics` in a worker thread.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

from embedded_backend.config import Settings, load_settings
from embedded_backend.diagnostics.bundle import (
    Bundle,
    DiagnosticsError,
    Scrubber,
    Writer,
    known_secrets,
)
from embedded_backend.diagnostics.contents import log_parts, readme
from embedded_backend.diagnostics.live import backend_parts, history_parts
from embedded_backend.diagnostics.reports import (
    backups_report,
    preflight_report,
    settings_report,
    system_report,
    versions_report,
)
from embedded_backend.errors import ConfigError
from embedded_backend.paths import Paths, default_home

__all__ = ["LOG_BUDGET_BYTES", "Bundle", "DiagnosticsError", "check_target", "export_diagnostics"]

log = logging.getLogger(__name__)

LOG_BUDGET_BYTES = 64 * 1024 * 1024  # uncompressed log bytes put in the zip
HISTORY_FILE = "desktop-history.db"  # desktop.core.history.HISTORY_FILE (no Qt import)

Progress = Callable[[str], None]


def check_target(target: Path, force: bool = False) -> Path:
    """The absolute path to write, or DiagnosticsError saying what is wrong with it."""
    target = target.expanduser()
    if target.is_dir():
        raise DiagnosticsError(f"{target} is a folder; give a file name such as {target}/vigia.zip")
    if target.suffix.lower() != ".zip":
        raise DiagnosticsError(f"{target}: the file name must end in .zip")
    if not target.parent.is_dir():
        raise DiagnosticsError(f"the folder {target.parent} does not exist; create it first")
    if target.exists() and not force:
        raise DiagnosticsError(
            f"{target} already exists; choose another name or overwrite it with --force"
        )
    return target.absolute()


def export_diagnostics(
    target: Path,
    *,
    settings: Settings | None = None,
    home: Path | None = None,
    force: bool = False,
    backend_url: str | None = None,
    token: str | None = None,
    log_budget: int = LOG_BUDGET_BYTES,
    progress: Progress | None = None,
) -> Bundle:
    """Write the bundle to ``target`` (a new .zip; an existing one only with ``force``).

    ``settings`` None: loaded from ``home`` (a broken vigia.toml is reported in the
    bundle, not raised). ``backend_url``/``token``: a remote backend (the tray's
    ``--url`` mode); by default the local one published in ``vigia.run.json``.
    """
    target = check_target(target, force)
    step = progress or (lambda _name: None)
    bundle = Bundle(target)
    settings_problem: str | None = None
    if settings is None:
        try:
            settings = load_settings(home=home)
        except ConfigError as exc:
            settings_problem = str(exc)
            bundle.problems.append(f"settings: {exc}")
    paths = settings.paths if settings else Paths((home or default_home()).expanduser())
    scrub = Scrubber(known_secrets(settings, token))
    partial = target.with_name(f".{target.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            writer = Writer(zf, scrub, bundle)
            step("settings")
            # Built field by field (secrets left out, URLs masked): the "token: value"
            # pattern would mask "admin_token": "(set)" too.
            report = lambda: settings_report(settings, settings_problem)  # noqa: E731
            writer.json("settings.json", report, patterns=False)
            if paths.config_file.is_file():
                writer.text("vigia.toml", lambda: paths.config_file.read_text("utf-8", "replace"))
            step("preflight")
            writer.json("preflight.json", lambda: preflight_report(settings, settings_problem))
            step("backend")
            backend_parts(writer, paths, backend_url, token, settings)
            step("history")
            history_parts(writer, paths.home / HISTORY_FILE)
            step("system")
            writer.json("system.json", lambda: system_report(paths.home))
            writer.json("versions.json", versions_report)
            writer.json("backups.json", lambda: backups_report(settings))
            step("logs")
            log_parts(writer, paths.logs, log_budget)
            writer.text("README.txt", lambda: readme(bundle, paths, settings))
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DiagnosticsError(
            f"could not write {target}: {exc.strerror or exc}; choose another folder"
        ) from None
    bundle.size = target.stat().st_size
    log.info("diagnostics bundle written to %s (%d bytes)", target, bundle.size)
    return bundle
