"""The backend's settings as the tray's settings window reads and changes them.

They live in ``$VIGIA_HOME/vigia.toml`` (read by :class:`embedded_backend.config.
Settings`). :class:`BackendSettingsStore` reads what the window shows (the effective
value of each editable setting, and which ones an environment variable overrides) and
saves a change: validated by the same pydantic ``Settings`` class the backend uses, so a
bad value gets the backend's own message and **nothing** is written; then the database
password, if any, goes to the system keyring (service ``vigia``, entry
``database_password``) and never to the file; then the TOML file is replaced atomically,
keeping every other key it had (and its ``[vigia]`` table, when it has one).

A password typed inside the database URL (``postgresql://erp:secret@db/erp``) is moved
to the keyring and the URL is written without it. The backend puts it back when it
connects (``Settings.effective_database_url``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from desktop.core import toml_file
from desktop.core.errors import ConfigError
from embedded_backend.config import Settings
from embedded_backend.config.settings import SECRET_FIELDS
from embedded_backend.errors import Error as BackendError
from embedded_backend.paths import Paths
from embedded_backend.secrets import DATABASE_PASSWORD, Keyring

# What the window edits, in its order (a name missing from Settings is skipped).
EDITABLE: tuple[str, ...] = (
    "port",
    "database_url",
    "backup_dir",
    "backup_schedule_enabled",
    "backup_time",
    "backup_keep_daily",
    "backup_keep_weekly",
    "alert_disk_free_percent",
    "alert_backup_age_hours",
    "alert_p95_ms_warn",
    "alert_error_rate_warn",
    "alert_memory_percent",
)


class SettingsRejected(ConfigError):
    """Values the backend would refuse; ``problems`` are (setting name, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))


class _Given(Settings):
    """Settings from the given values and the defaults only (no environment, no file):
    validates a candidate exactly as the backend would, nothing else mixed in."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def editable_fields() -> tuple[str, ...]:
    return tuple(name for name in EDITABLE if name in Settings.model_fields)


def env_name(name: str) -> str:
    return f"VIGIA_{name.upper()}"


def split_password(url: str) -> tuple[str, str | None]:
    """``url`` without the password in it, and that password (None when there is none)."""
    if "@" not in url:
        return url, None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url, None
    if parsed.password is None:
        return url, None
    bare = parsed._replace(password=None)  # URL.set(password=None) would keep it
    return bare.render_as_string(hide_password=False), str(parsed.password)


@dataclass
class BackendForm:
    values: dict[str, Any]  # effective value of each editable setting
    from_environment: dict[str, str] = field(default_factory=dict)  # name -> variable
    has_password: bool = False  # a database password is stored in the keyring
    file_problem: str | None = None  # vigia.toml could not be read (shown; saving fixes)


@dataclass
class SaveResult:
    changed: list[str]  # settings whose value changed
    password_changed: bool = False
    password_moved: bool = False  # it was typed in the URL and went to the keyring


class BackendSettingsStore:
    def __init__(self, home: Path, store: Keyring | None = None) -> None:
        self.home = home
        self.path = Paths(home).config_file
        self.keyring = store or Keyring()

    def _file(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the whole file, the table holding the settings in it)."""
        data = toml_file.read(self.path)
        table = data.get("vigia") if isinstance(data.get("vigia"), dict) else data
        assert isinstance(table, dict)
        return data, table

    def load(self) -> BackendForm:
        problem = None
        try:
            _, table = self._file()
        except ConfigError as exc:
            problem, table = str(exc), {}
        environment = {
            name: env_name(name) for name in editable_fields() if os.environ.get(env_name(name))
        }
        given = {k: v for k, v in table.items() if k in Settings.model_fields and k != "home"}
        given.update({name: os.environ[var] for name, var in environment.items()})
        try:
            effective = _Given(home=self.home, **given)
        except ValidationError as exc:
            problem = problem or str(SettingsRejected(_problems(exc)))
            effective = _Given(home=self.home)
        values = {name: getattr(effective, name) for name in editable_fields()}
        return BackendForm(values, environment, bool(self.keyring.get(DATABASE_PASSWORD)), problem)

    def save(self, values: dict[str, Any], password: str | None = None) -> SaveResult:
        """Validate and write ``values`` (editable settings, as typed); ``password`` None
        or "" leaves the stored password as it is. ConfigError (nothing written) when a
        value is refused or the password cannot be stored safely."""
        try:
            data, table = self._file()
        except ConfigError:
            data = table = {}  # a broken file is replaced (the form said so)
        before = self.load().values
        unknown = set(values) - set(editable_fields())
        if unknown:
            raise ConfigError(
                f"these settings cannot be changed here: {', '.join(sorted(unknown))}"
            )
        values = dict(values)
        moved = False
        url = values.get("database_url")
        if isinstance(url, str):
            url = url.strip()
            bare, inline = split_password(url)
            if inline is not None:
                if password:
                    raise ConfigError(
                        "the database password is given twice (in the URL and in the password "
                        "field); keep it in the password field only"
                    )
                password, moved = inline, True
            values["database_url"] = bare or None
        candidate = {k: v for k, v in table.items() if k in Settings.model_fields and k != "home"}
        candidate.update(values)
        candidate = {k: v for k, v in candidate.items() if v is not None and v != ""}
        if SECRET_FIELDS & candidate.keys():
            raise ConfigError("secrets cannot be kept in vigia.toml")
        try:
            checked = _Given(home=self.home, **candidate)
        except ValidationError as exc:
            raise SettingsRejected(_problems(exc)) from None
        if checked.database_url:
            from embedded_backend.db.urls import parse_database_url

            try:
                parse_database_url(checked.database_url)
            except BackendError as exc:
                raise SettingsRejected([("database_url", str(exc))]) from None
        if password and not self.keyring.set(DATABASE_PASSWORD, password):
            raise ConfigError(
                "the system keyring is not available, so the database password cannot be "
                "stored safely; set VIGIA_DATABASE_PASSWORD for the backend instead"
            )
        changed = [name for name in values if getattr(checked, name) != before.get(name)]
        for name in values:
            value = getattr(checked, name)
            if value is None:
                table.pop(name, None)
            elif name in table or name in changed:
                table[name] = str(value) if isinstance(value, Path) else value
        if data is not table:
            data["vigia"] = table
        else:
            data = table
        if changed:
            try:
                toml_file.write(self.path, data)
            except OSError as exc:
                raise ConfigError(f"cannot write {self.path}: {exc.strerror}") from None
        return SaveResult(changed, bool(password), moved)


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    return [
        (
            ".".join(str(part) for part in error["loc"]) or "settings",
            error["msg"].removeprefix("Value error, "),
        )
        for error in exc.errors(include_input=False)
    ]
