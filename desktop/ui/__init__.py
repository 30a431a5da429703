"""The tray app's Qt layer: tray icon, dashboard, the bridge from the core's worker
threads to the GUI thread, translations. Everything Qt lives under here; the logic it
shows lives in :mod:`desktop.core`.

Modules (the tray's own; the log viewer, backups, settings and diagnostics windows
have theirs)::

    app.py          run_tray(): QApplication, single instance, Monitor, clean quit
    bridge.py       CoreBridge: the core's Signals re-emitted as Qt signals (GUI thread)
    context.py      UiContext: what every window gets
    single.py       SingleInstance: one tray per VIGIA_HOME (file lock + local socket)
    status.py       TrayStatus: colour and one-line summary from state + latest sample
    icons.py        the tray icon drawn with QPainter, at every size
    tray.py         TrayIcon: icon, tooltip, menu, double-click
    notify.py       Notifier: toasts (freedesktop D-Bus service, or the tray's balloon)
    actions.py      menu entries that open other windows (imported lazily)
    tasks.py        run a blocking call off the GUI thread, get the answer as a signal
    courier.py      the one way worker threads hand values to the GUI thread
    pyside_refcount.py  guard against PySide6 6.12's lost references to None/True/False
    i18n.py         translation loader (resources/translations/*_<locale>.qm)
    resources.py    where resources/ is (source checkout or PyInstaller bundle)
    dashboard/      the dashboard window (pyqtgraph loaded when it first opens)
"""

from desktop.ui import pyside_refcount

pyside_refcount.install()  # before the tray makes any PySide6 call (see its docstring)
