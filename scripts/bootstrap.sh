#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install Vigia into it with pinned versions.
#   scripts/bootstrap.sh [EXTRAS]     e.g. scripts/bootstrap.sh test
# Sourced by scripts/run and scripts/test; safe to run again (only installs what changed).
set -euo pipefail
cd "$(dirname "$0")/.."

extras=${1:-}
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python=$candidate; break
  fi
done
if [ -z "$python" ]; then
  echo "Vigia needs Python 3.11 or newer: sudo apt-get install python3 python3-venv" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt-get install -y -qq "python${ver}-venv" >/dev/null || apt-get install -y -qq python3-venv >/dev/null
      "$python" -m venv .venv
    else
      echo "Cannot create a virtual environment: sudo apt-get install python3-venv" >&2
      exit 1
    fi
  fi
fi

spec="."
[ -n "$extras" ] && spec=".[$extras]"
stamp=".venv/.vigia-installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e "$spec"
  touch "$stamp"
fi

# The tray's translations (.ts -> .qm) are build outputs: compile the ones that changed.
case ",$extras," in
  *,desktop,*) bash scripts/translations.sh ;;
esac
