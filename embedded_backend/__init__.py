"""Vigia's embedded ERP backend: FastAPI + SQLAlchemy, built to stay up.

This package never imports Qt: ``vigia serve``, ``check``, ``status`` and ``users``
run on a headless server.
"""

from importlib import metadata

try:
    __version__ = metadata.version("vigia")
except metadata.PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
