#!/usr/bin/env bash
# Qt Linguist translations of the tray app (resources/translations/*.ts -> *.qm).
#
#   scripts/translations.sh            compile every .ts whose .qm is missing or older
#   scripts/translations.sh update     refresh vigia_pt_BR.ts from the sources (keeps the
#                                      translations made; new texts come in "unfinished")
#
# The .qm files are build outputs (not committed): scripts/bootstrap.sh runs this when
# the desktop extra is installed, and the installer build runs it. Without them the UI is
# in English. Each part of the app has its own .ts (vigia_* for the tray, dashboard and
# the core's alert texts; windows_* for the log, backups, settings and diagnostics
# windows); the app loads every *_<locale>.qm.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
dir=resources/translations

# The tray's own sources (the other windows keep theirs in windows_*.ts).
vigia_sources=(
  desktop/core/alert_rules.py desktop/core/admin_client.py
  desktop/ui/actions.py desktop/ui/app.py desktop/ui/notify.py desktop/ui/single.py
  desktop/ui/status.py desktop/ui/tasks.py desktop/ui/tray.py
  desktop/ui/dashboard/*.py
)

case "${1:-compile}" in
  update)
    "$bin/pyside6-lupdate" -no-obsolete -locations none "${vigia_sources[@]}" \
      -ts "$dir/vigia_pt_BR.ts"
    ;;
  compile)
    for ts in "$dir"/*.ts; do
      [ -e "$ts" ] || continue
      qm="${ts%.ts}.qm"
      if [ ! -f "$qm" ] || [ "$ts" -nt "$qm" ]; then
        "$bin/pyside6-lrelease" -silent "$ts" -qm "$qm"
      fi
    done
    ;;
  *)
    echo "usage: scripts/translations.sh [compile|update]" >&2
    exit 2
    ;;
esac
