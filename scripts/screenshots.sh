#!/usr/bin/env bash
# The README's screenshots, taken on a virtual desktop by the tray's end-to-end tests
# (tests/e2e/test_tray.py: Xvfb, trayer, dunst; see scripts/system-deps.sh), then copied,
# shrunk to 256 colours (not dithered: smaller, text stays crisp), to docs/screenshots/.
# Every run of those tests also leaves its full-size pictures in .work/screenshots/ (or
# $VIGIA_SCREENSHOT_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
shots=.work/screenshots
VIGIA_SCREENSHOT_DIR="$shots" .venv/bin/python -m pytest -q -p no:cacheprovider \
  tests/e2e/test_tray.py
mkdir -p docs/screenshots
for name in tray-menu tray-tooltip dashboard-running dashboard-database-down toast-database-down \
  log-viewer backups settings; do
  if [ -f "$shots/$name.png" ]; then
    convert "$shots/$name.png" -strip +dither -colors 256 "PNG8:docs/screenshots/$name.png"
  fi
done
ls -l docs/screenshots
