"""Build Vigia for office PCs: freeze it (PyInstaller), smoke-test the frozen app, and
build the Windows installer (NSIS) where ``makensis`` exists.

    .venv/bin/python build/build.py         # Linux: freeze, smoke test, installer compile check
    .venv\\Scripts\\python build\\build.py    # Windows: .work\\installer\\Vigia-Setup-<ver>.exe

Steps:
1. Inputs: compile the translations (.ts -> .qm) and check the icon
   (``scripts/make_icons.py --check``; regenerated when older than its SVG).
2. Freeze ``build/vigia.spec`` into ``<work>/dist/vigia`` (scratch in
   ``<work>/pyinstaller``; ``<work>`` is ``.work/`` by default, ignored by git: build/
   holds sources only). With ``--reuse`` the freeze is skipped when a build of the same
   inputs is already there (a hash of the sources, the spec, pyproject.toml,
   constraints.txt, Python and PyInstaller versions, kept in ``<work>/dist/vigia.stamp``).
3. Smoke test (``build/smoke.py``): ``--version``, ``check``, ``serve`` answers
   ``/readyz`` 200 within 10 s and stops with exit 0.
4. Installer: on Windows, ``makensis -WX`` builds ``<work>/installer/Vigia-Setup-<v>.exe``
   from the onedir. Elsewhere, where ``makensis`` exists, the script is compiled
   against a stand-in of the Windows layout (a check that it compiles; a Windows
   installer needs the Windows build, which only Windows can freeze).
5. Report: the size breakdown and the timings, printed and written to
   ``<work>/build-report.json``.

Code signing (Windows; needs the project's certificate): with ``VIGIA_SIGN_COMMAND`` set
(e.g. ``signtool sign /sha1 <thumbprint> /fd SHA256 /tr <timestamp URL> /td SHA256``),
``Vigia.exe`` and ``vigia-cli.exe`` are signed after the smoke test, then makensis signs
the uninstaller and the installer with the same command (``!uninstfinalize``,
``!finalize``). Without it nothing is signed. See README "Build the installer".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sizes import breakdown
from smoke import SmokeError, smoke
from version_info import numeric_version, project_version

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
SPEC = BUILD / "vigia.spec"
NSI = BUILD / "installer.nsi"
WINDOWS = sys.platform == "win32"
# What a freeze depends on (besides the installed packages, pinned by constraints.txt).
STAMP_INPUTS = (
    "embedded_backend",
    "desktop",
    "build",
    "resources",
    "pyproject.toml",
    "constraints.txt",
)
STAMP_SKIP = {"__pycache__", ".mypy_cache", ".ruff_cache"}


def say(text: str) -> None:
    print(f"== {text}", flush=True)


# -- 1. inputs ----------------------------------------------------------------------------


def venv_tool(name: str) -> Path:
    folder = Path(sys.executable).parent
    return folder / (f"{name}.exe" if WINDOWS else name)


def compile_translations() -> list[Path]:
    """Every resources/translations/*.ts whose .qm is missing or older (the same rule as
    scripts/translations.sh, which is bash and so not on Windows)."""
    lrelease = venv_tool("pyside6-lrelease")
    made = []
    for ts in sorted((ROOT / "resources" / "translations").glob("*.ts")):
        qm = ts.with_suffix(".qm")
        if not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:
            subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(qm)], check=True)
            made.append(qm)
    return made


def ensure_icon() -> None:
    script = ROOT / "scripts" / "make_icons.py"
    fresh = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, check=False
    )
    if fresh.returncode != 0:
        subprocess.run([sys.executable, str(script)], check=True)


# -- 2. freeze ----------------------------------------------------------------------------


def input_stamp() -> str:
    """A hash of everything a freeze is made from."""
    import PyInstaller

    digest = hashlib.sha256()
    digest.update(f"{sys.version}|{platform.platform()}|{PyInstaller.__version__}".encode())
    for name in STAMP_INPUTS:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in paths:
            if path.is_file() and not STAMP_SKIP & set(path.parts) and path.suffix != ".pyc":
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def freeze(work: Path, reuse: bool) -> tuple[Path, float | None]:
    """The onedir folder and how long the freeze took (None when a build was reused)."""
    dist, scratch = work / "dist", work / "pyinstaller"
    onedir, stamp_file = dist / "vigia", dist / "vigia.stamp"
    stamp = input_stamp()
    same = stamp_file.exists() and stamp_file.read_text(encoding="utf-8").strip() == stamp
    if reuse and onedir.is_dir() and same:
        say(f"freeze: {onedir} is up to date (same inputs); reused")
        return onedir, None
    say(f"freeze: PyInstaller {SPEC.relative_to(ROOT)} -> {onedir}")
    stamp_file.unlink(missing_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    log = work / "freeze.log"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--log-level",
                "WARN",
                "--workpath",
                str(scratch),
                "--distpath",
                str(dist),
                str(SPEC),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    took = time.perf_counter() - started
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-6000:]
        raise SystemExit(f"PyInstaller failed (exit {done.returncode}); log {log}:\n{tail}")
    stamp_file.write_text(stamp + "\n", encoding="utf-8")
    say(f"freeze: done in {took:.0f} s (log {log})")
    return onedir, took


# -- 4. installer -------------------------------------------------------------------------


def find_makensis() -> str | None:
    found = shutil.which("makensis")
    if found or not WINDOWS:
        return found
    for base in (os.environ.get("PROGRAMFILES(X86)"), os.environ.get("PROGRAMFILES")):
        if base and (Path(base) / "NSIS" / "makensis.exe").exists():
            return str(Path(base) / "NSIS" / "makensis.exe")
    return None


def windows_stand_in(folder: Path) -> Path:
    """Empty files where the Windows build puts its executables, for a compile check."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "_internal").mkdir(parents=True)
    for name in ("Vigia.exe", "vigia-cli.exe", "_internal/base_library.zip"):
        (folder / name).write_bytes(b"stand-in for the Windows build\n")
    return folder


def sign_command() -> str | None:
    return os.environ.get("VIGIA_SIGN_COMMAND") or None


def sign_executables(onedir: Path, command: str) -> None:
    """Sign the executables in place (before makensis packs them): ``<command> "<file>"``."""
    for name in ("Vigia.exe", "vigia-cli.exe"):
        # The admin's own command line (signtool and its options), run as written.
        subprocess.run(f'{command} "{onedir / name}"', shell=True, check=True)  # noqa: S602
        say(f"signed {name}")


def makensis_command(
    makensis: str, onedir: Path, out_file: Path, version: str, sign: str | None = None
) -> list[str]:
    quad = ".".join(map(str, numeric_version(version)))
    command = [
        makensis,
        "-WX",
        "-V2",
        f"-DDIST_DIR={onedir}",
        f"-DOUT_FILE={out_file}",
        f"-DVERSION={version}",
        f"-DVERSION_QUAD={quad}",
    ]
    if sign:
        command.append(f"-DSIGN_COMMAND={sign}")
    return [*command, str(NSI)]


def build_installer(onedir: Path, work: Path, version: str) -> Path | None:
    makensis = find_makensis()
    if makensis is None:
        say("installer: no makensis (Debian: apt-get install nsis; Windows: NSIS 3); skipped")
        return None
    if WINDOWS:
        out = work / "installer" / f"Vigia-Setup-{version}.exe"
        source = onedir
    else:
        out = work / "installer-check" / "Vigia-Setup-compile-check.exe"
        source = windows_stand_in(work / "installer-check" / "vigia")
    out.parent.mkdir(parents=True, exist_ok=True)
    sign = sign_command() if WINDOWS else None
    done = subprocess.run(
        makensis_command(makensis, source, out, version, sign),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"makensis failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    if WINDOWS:
        say(f"installer: {out} ({out.stat().st_size / 1e6:.1f} MB)")
        return out
    say(f"installer: {NSI.relative_to(ROOT)} compiles with makensis -WX (against a stand-in")
    say("           of the Windows layout; the real installer is built on Windows)")
    return None


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work", type=Path, default=ROOT / ".work", help="scratch and output folder"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="skip the freeze if the inputs are unchanged"
    )
    parser.add_argument("--no-smoke", action="store_true", help="skip the smoke test")
    parser.add_argument("--no-installer", action="store_true", help="skip makensis")
    args = parser.parse_args(argv)
    work: Path = args.work.resolve()
    version = project_version()

    made = compile_translations()
    if made:
        say(f"translations: compiled {', '.join(p.name for p in made)}")
    ensure_icon()
    onedir, freeze_s = freeze(work, args.reuse)
    report: dict[str, object] = {"version": version, "onedir": str(onedir), "freeze_s": freeze_s}
    if not args.no_smoke:
        say("smoke test")
        try:
            result = smoke(onedir)
        except SmokeError as exc:
            print(f"smoke test failed: {exc}", file=sys.stderr)
            return 1
        for line in result.checks:
            print(f"   ok  {line}")
        report["ready_s"] = result.ready_s
    if WINDOWS and sign_command() and not args.no_installer:
        sign_executables(onedir, sign_command() or "")
    installer = None if args.no_installer else build_installer(onedir, work, version)
    report["installer"] = str(installer) if installer else None
    sizes = breakdown(onedir)
    report["size_bytes"] = sizes.total
    report["size_by_component"] = dict(sizes.rows())
    say(f"size of {onedir}: {sizes.total / 1e6:.1f} MB")
    print(sizes.markdown())
    (work / "build-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
