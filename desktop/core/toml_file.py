"""Write ``vigia.toml``: a small TOML writer for what that file holds, and an atomic save.

``vigia.toml`` holds flat settings, at the top level or in a ``[vigia]`` table (both are
read by :mod:`embedded_backend.config.settings`): strings, booleans, integers, floats
and lists of those, plus tables of them. :func:`dumps` writes exactly that and refuses
anything else (:class:`TomlWriteError`) rather than writing something TOML readers would
take differently. Comments in an existing file are not kept (the file says so on top).
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from desktop.core.errors import ConfigError

HEADER = "# Vigia settings. Written by Vigia's settings window (comments are not kept).\n"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


class TomlWriteError(ConfigError):
    """A value that this writer does not write."""


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Path):
        return _string(str(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TomlWriteError(f"cannot write a {type(value).__name__} to vigia.toml")


def dumps(data: Mapping[str, Any]) -> str:
    """TOML text for ``data``: scalar keys first, then one ``[table]`` per mapping."""
    lines = [HEADER.rstrip("\n")]
    tables = {k: v for k, v in data.items() if isinstance(v, Mapping)}
    for key, value in data.items():
        if key not in tables:
            lines.append(f"{_key(key)} = {_value(value)}")
    for name, table in tables.items():
        lines += ["", f"[{_key(name)}]"]
        for key, value in table.items():
            if isinstance(value, Mapping):
                raise TomlWriteError(f"nested table {name}.{key} is not supported in vigia.toml")
            lines.append(f"{_key(key)} = {_value(value)}")
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != _plain(data):  # never write what would read back different
        raise TomlWriteError("the settings would not read back as written")
    return text


def _plain(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    if isinstance(data, Path):
        return str(data)
    return data


def read(path: Path) -> dict[str, Any]:
    """The file's contents ({} when it does not exist); ConfigError when it is not TOML."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def write(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically (a temporary file renamed over it)."""
    text = dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        scratch.write_text(text, encoding="utf-8", newline="\n")
        scratch.replace(path)
    finally:
        scratch.unlink(missing_ok=True)
