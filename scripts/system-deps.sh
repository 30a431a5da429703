#!/usr/bin/env bash
# Debian packages the test suite uses, and the database services it talks to.
# Installs only what is missing; without root it only reports what is missing.
set -uo pipefail

packages=()
command -v pg_dump >/dev/null || packages+=(postgresql-client)
command -v mariadb-dump >/dev/null || packages+=(mariadb-client)
command -v wrk >/dev/null || packages+=(wrk)
command -v promtool >/dev/null || packages+=(prometheus)
command -v sqlite3 >/dev/null || packages+=(sqlite3)  # tests/perf/bench_backup.py baseline
command -v supervisord >/dev/null || packages+=(supervisor)  # tests/perf/bench_tray.py anchor
# tests/faults/test_clock_jump.py compiles a tiny LD_PRELOAD wall-clock shifter (Debian 12's
# libfaketime 0.9.10 breaks time.sleep when the monotonic clock is left real).
command -v cc >/dev/null || packages+=(gcc libc6-dev)

# The tray app (Qt's xcb platform plugin) and its end-to-end tests (tests/e2e/test_tray.py):
# a virtual X display, a system tray, a notification daemon, a D-Bus session bus, and the
# tools that look at them (window tree, clicks and keys, screenshots).
command -v Xvfb >/dev/null || packages+=(xvfb)
command -v trayer >/dev/null || packages+=(trayer)
command -v dunst >/dev/null || packages+=(dunst)
command -v dbus-daemon >/dev/null && command -v dbus-monitor >/dev/null || packages+=(dbus)
command -v dbus-launch >/dev/null || packages+=(dbus-x11)
command -v xdotool >/dev/null || packages+=(xdotool)
command -v xwininfo >/dev/null && command -v xprop >/dev/null || packages+=(x11-utils)
command -v import >/dev/null || packages+=(imagemagick)
if command -v dpkg >/dev/null; then
  for lib in libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libxcb-icccm4 libxcb-image0 \
             libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 \
             libx11-xcb1 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core; do
    dpkg -s "$lib" >/dev/null 2>&1 || packages+=("$lib")
  done
fi

# Packaging (tests/frozen): makensis compiles the Windows installer script; a Secret
# Service (gnome-keyring) proves the frozen app finds its keyring backends.
command -v makensis >/dev/null || packages+=(nsis)
command -v gnome-keyring-daemon >/dev/null || packages+=(gnome-keyring)

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing Debian packages: ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    (apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; }) ||
      echo "warning: could not install ${packages[*]}" >&2
  else
    echo "note: missing Debian packages (install them for the full suite): ${packages[*]}" >&2
  fi
fi

# Services the tests connect to (127.0.0.1). Start any that is installed but stopped.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! port_open 5432 && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  echo "== starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! port_open 3306 && [ -x /usr/sbin/mariadbd ]; then
  echo "== starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
if ! port_open 6379 && command -v redis-server >/dev/null; then
  echo "== starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi
for _ in $(seq 1 30); do
  port_open 5432 && port_open 3306 && break
  sleep 1
done
exit 0
