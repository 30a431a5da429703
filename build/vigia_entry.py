"""Entry script of the frozen Vigia (PyInstaller): the ``vigia`` console script, made safe
for a bundle before anything else runs.

- ``multiprocessing.freeze_support()`` first: a frozen child process started by
  :mod:`multiprocessing` (spawn) runs its task and exits here instead of starting a
  second Vigia.
- A windowed Windows build has no console: ``sys.stdout`` and ``sys.stderr`` are
  ``None`` there, and the first ``print``, ``argparse`` message or console log handler
  would raise. They are pointed at ``os.devnull`` before the CLI (and so logging) is
  imported; the JSON log file in ``$VIGIA_HOME/logs`` still gets every record. The
  console build (``vigia-cli.exe`` on Windows, ``vigia`` on Linux) keeps its streams.
- On Windows the process takes the AppUserModelID of the Start menu shortcut the
  installer creates (``APP_ID`` in ``build/installer.nsi``), so Windows attributes the
  tray's notifications to "Vigia" with its icon, not to an unnamed executable.
- The backend never runs uvicorn with ``reload`` or ``workers`` (both re-execute
  ``sys.executable`` with Python arguments, which a frozen executable does not accept):
  ``embedded_backend/server.py`` runs one ``uvicorn.Server`` in a thread, and
  ``tests/frozen/test_layout.py`` keeps it that way.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys

# Same value as APP_ID in build/installer.nsi (tests/frozen/test_layout.py checks it).
APP_USER_MODEL_ID = "Vigia.Tray"


def _replace_missing_streams() -> None:
    for name in ("stdin", "stdout", "stderr"):
        if getattr(sys, name) is None:
            mode = "r" if name == "stdin" else "w"
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))  # noqa: SIM115, PTH123


def _set_app_user_model_id() -> None:
    if sys.platform == "win32":
        import ctypes

        with contextlib.suppress(AttributeError, OSError):  # very old Windows
            ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID(APP_USER_MODEL_ID)


def main() -> int:
    multiprocessing.freeze_support()
    _replace_missing_streams()
    _set_app_user_model_id()
    from embedded_backend.cli.main import main as vigia_main

    return vigia_main()


if __name__ == "__main__":
    sys.exit(main())
