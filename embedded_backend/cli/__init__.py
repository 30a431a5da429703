"""The ``vigia`` command line. Nothing here imports Qt (``vigia tray`` imports it lazily)."""
