"""The one settings object.

Sources, highest first: keyword arguments (the CLI's flags) > environment (``VIGIA_*``)
> ``vigia.toml`` in ``VIGIA_HOME`` > defaults. Secrets (admin token, signing key) may come
from the environment but never from the TOML file; otherwise they come from the OS
keyring (see :mod:`embedded_backend.secrets`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from embedded_backend.errors import ConfigError
from embedded_backend.paths import Paths, default_home

# Settings that must never be read from vigia.toml (a plain file).
SECRET_FIELDS = frozenset({"admin_token", "secret_key", "database_password"})

_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``vigia.toml`` from the resolved home; a broken file is a ConfigError."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ is overridden

    def __call__(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        values = read_toml(self.path)
        secrets = sorted(SECRET_FIELDS & values.keys())
        if secrets:
            raise ConfigError(
                f"{self.path} contains {', '.join(secrets)} ({_lines(self.path, secrets)}): "
                "secrets must not be stored in a file; remove them (they live in the system "
                "keyring, or in VIGIA_ADMIN_TOKEN / VIGIA_SECRET_KEY on servers)"
            )
        unknown = sorted(values.keys() - self.settings_cls.model_fields.keys())
        if unknown:
            raise ConfigError(
                f"{self.path}: unknown setting(s) {', '.join(unknown)} "
                f"({_lines(self.path, unknown)}); correct the name or delete the line"
            )
        return values


def read_toml(path: Path) -> dict[str, Any]:
    """The settings in ``path`` (a ``[vigia]`` table or top-level keys); a file that cannot
    be read or parsed is a ConfigError naming the file and, when known, the line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} is not valid TOML (line {line} is not UTF-8 text); "
            "fix that line or delete the file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or delete the file") from None
    return dict(data.get("vigia", data))


def _key_line(path: Path, key: str) -> int | None:
    """The line of ``path`` that sets ``key`` (for messages; None if not found)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"\s*(?:{re.escape(key)}|[\"']{re.escape(key)}[\"'])\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _lines(path: Path, keys: list[str]) -> str:
    found = [(key, _key_line(path, key)) for key in keys]
    return ", ".join(f"line {n}" if n else key for key, n in found)


def _host_pattern(pattern: str) -> str:
    """A ``Host`` pattern as Starlette's TrustedHostMiddleware matches it: lower case,
    no port, IPv6 literals in brackets, wildcards only as ``*`` or ``*.domain``."""
    pattern = pattern.strip().lower()
    if (
        pattern != "*"
        and "*" in pattern
        and not (pattern.startswith("*.") and "*" not in pattern[1:])
    ):
        raise ValueError(f"'{pattern}': a wildcard must look like '*.example.com'")
    if ":" in pattern and not pattern.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(pattern)}]"
        except ValueError:
            raise ValueError(f"'{pattern}': give a host name or address, without port") from None
    if "/" in pattern or (pattern.startswith("[") and not pattern.endswith("]")):
        raise ValueError(f"'{pattern}': give a host name or address, without scheme or port")
    return pattern


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VIGIA_",
        # VIGIA_HOME= (empty) means "not set", as for XDG_*: never "the current directory".
        env_ignore_empty=True,
        extra="ignore",
        validate_default=True,
        case_sensitive=False,
    )

    home: Path = Field(default_factory=default_home)
    database_url: str | None = None
    # The password of database_url when the URL has a user but no password: from
    # VIGIA_DATABASE_PASSWORD, else the keyring (service "vigia", "database_password").
    database_password: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8002, ge=0, le=65535)
    routers: str = ""
    admin_token: SecretStr | None = None
    secret_key: SecretStr | None = None
    redis_url: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_console: bool = True

    # SQLite
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)

    # Database (all dialects)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_pool_recycle_s: int = Field(default=1800, ge=30)
    # How long a request waits for a free connection when all 2 × db_pool_size are in use
    # before it is answered 503 "Server busy" (then Retry-After).
    db_pool_timeout_s: float = Field(default=10.0, gt=0, le=300)
    db_connect_timeout_s: float = Field(default=5.0, gt=0)
    db_startup_retry_s: float = Field(default=10.0, ge=0)
    db_background_retry_s: float = Field(default=5.0, gt=0)
    db_write_attempts: int = Field(default=8, ge=1, le=50)

    # Database protection (see embedded_backend/db/circuit.py)
    db_circuit_failures: int = Field(default=5, ge=1, le=1000)  # consecutive, to open
    db_circuit_reset_s: float = Field(default=30.0, gt=0)  # open → half-open probe

    # Server
    graceful_shutdown_s: float = Field(default=10.0, gt=0)
    port_retry_s: float = Field(default=10.0, ge=0)
    startup_deadline_s: float = Field(default=60.0, gt=0)
    docs_enabled: bool = False

    # Health
    health_cache_s: float = Field(default=1.0, ge=0)
    health_check_timeout_s: float = Field(default=2.0, gt=0)
    disk_warn_percent: float = Field(default=90.0, gt=0, le=100)
    disk_fail_percent: float = Field(default=98.0, gt=0, le=100)
    backup_stale_hours: float = Field(default=48.0, gt=0)

    # Observability (see embedded_backend/observability/)
    slow_query_s: float = Field(default=1.0, gt=0)  # statements slower than this are logged
    metrics_sample_interval_s: float = Field(default=30.0, gt=0)  # history sampling period
    metrics_history_size: int = Field(default=1000, ge=1, le=100_000)  # samples per metric
    performance_window_s: float = Field(default=300.0, gt=0)  # rolling window per route
    performance_window_requests: int = Field(default=1000, ge=1, le=100_000)  # per route

    # Alerts (see embedded_backend/alerts/rules.py; evaluated every metrics_sample_interval_s;
    # a threshold of 0 turns its rule off)
    alert_min_requests: int = Field(default=20, ge=1)  # error rate/latency judged from here
    alert_error_rate_warn: float = Field(default=0.05, ge=0, le=1)  # share of 5xx answers
    alert_error_rate_error: float = Field(default=0.10, ge=0, le=1)
    alert_error_rate_critical: float = Field(default=0.25, ge=0, le=1)
    alert_p95_ms_warn: float = Field(default=1000.0, ge=0)
    alert_p95_ms_error: float = Field(default=2000.0, ge=0)
    alert_p95_ms_critical: float = Field(default=5000.0, ge=0)
    alert_db_errors_per_min: float = Field(default=5.0, ge=0)  # error; 10x = critical
    alert_pool_saturation: float = Field(default=0.9, ge=0, le=1)  # warning; all in use = error
    alert_disk_free_percent: float = Field(default=10.0, ge=0, le=100)  # warn below
    alert_memory_percent: float = Field(default=90.0, ge=0, le=100)  # warning at or above
    alert_backup_age_hours: float = Field(default=48.0, ge=0)  # warning; 3x = error
    alert_history_size: int = Field(default=200, ge=1, le=100_000)  # resolved alerts kept

    # Cache (see embedded_backend/cache/; VIGIA_REDIS_URL above switches it to Redis)
    cache_ttl_s: float = Field(default=30.0, ge=0)  # lifetime of a cached read; 0 = off
    cache_max_entries: int = Field(default=10_000, ge=1, le=10_000_000)  # in-process bound
    cache_redis_timeout_s: float = Field(default=0.3, gt=0, le=10)  # Redis socket timeouts
    cache_redis_retry_s: float = Field(default=5.0, gt=0)  # Redis ping/recovery period
    cache_key_prefix: str | None = None  # Redis key prefix; default vigia:<hash of home>:

    # Backups (see embedded_backend/backup/)
    backup_dir: Path | None = None  # None = $VIGIA_HOME/backups; relative = inside home
    backup_keep_daily: int = Field(default=14, ge=0, le=10_000)  # newest of each of N days
    backup_keep_weekly: int = Field(default=8, ge=0, le=10_000)  # newest of each of M weeks
    # The daily backup (embedded_backend/backup/schedule.py): at backup_time, the machine's
    # local time; at startup, after backup_startup_delay_s, if today's was missed.
    backup_schedule_enabled: bool = True
    backup_time: str = "12:30"  # HH:MM, 24-hour clock
    backup_startup_delay_s: float = Field(default=120.0, ge=0, le=86_400)

    # Auth
    jwt_expire_minutes: int = Field(default=480, ge=1)
    auth_cache_s: float = Field(default=10.0, ge=0)

    # Protection (see embedded_backend/middleware/protection.py). Lists accept a comma
    # list in the environment: VIGIA_TRUSTED_HOSTS=erp-server,erp-server.local
    trusted_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=0)  # 0 = no limit
    rate_limit_per_minute: int = Field(default=100, ge=0)  # per user or token; 0 = off
    login_failures_per_minute: int = Field(default=10, ge=0)  # per username; 0 = off
    proxy_headers: bool = False
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("trusted_hosts", "cors_origins", "forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith('["') or text == "[]":
                return json.loads(text)  # a JSON list; "[::1]" is a host, not JSON
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("trusted_hosts", mode="after")
    @classmethod
    def _host_patterns(cls, value: list[str]) -> list[str]:
        return [_host_pattern(pattern) for pattern in value]

    @field_validator("log_level", "sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("backup_time", mode="before")
    @classmethod
    def _time_of_day(cls, value: Any) -> Any:
        if isinstance(value, time):  # vigia.toml: backup_time = 12:30:00 (a TOML time)
            value = value.strftime("%H:%M:%S")
        if not isinstance(value, str):
            return value  # pydantic says it is not a string
        match = re.fullmatch(r"\s*([01]?\d|2[0-3]):([0-5]\d)(:00)?\s*", value)
        if match is None:
            raise ValueError(f"'{value}': give a time of day as HH:MM, e.g. 12:30 or 23:05")
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def paths(self) -> Paths:
        return Paths(self.home)

    @model_validator(mode="after")
    def _database_password_from_keyring(self) -> Settings:
        if self.database_password is None and _url_needs_password(self.database_url):
            from embedded_backend.secrets import DATABASE_PASSWORD, Keyring

            stored = Keyring().get(DATABASE_PASSWORD)
            if stored:
                self.database_password = SecretStr(stored)
        return self

    @property
    def database_password_missing(self) -> bool:
        """The database URL names a user but no password, and none was found."""
        return self.database_password is None and _url_needs_password(self.database_url)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            if self.database_password is not None and _url_needs_password(self.database_url):
                from sqlalchemy.engine import make_url

                url = make_url(self.database_url)
                password = self.database_password.get_secret_value()
                return url.set(password=password).render_as_string(hide_password=False)
            return self.database_url
        return f"sqlite:///{self.paths.database}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = init_settings().get("home") or env_settings().get("home") or default_home()
        toml = _TomlSource(settings_cls, Path(home).expanduser() / "vigia.toml")
        return (init_settings, env_settings, toml)


def _url_needs_password(raw: str | None) -> bool:
    """A server URL with a user name and no password (the password is kept elsewhere)."""
    if not raw or "@" not in raw:
        return False
    from sqlalchemy.engine import make_url  # only for server URLs: SQLAlchemy is heavy
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw)
    except ArgumentError:
        return False  # reported where the URL is used (db/urls.py)
    return bool(url.username) and url.password is None and url.get_backend_name() != "sqlite"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning every problem into one readable ConfigError."""
    clean = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        toml = _toml_path(clean)
        problems = []
        for err in exc.errors(include_input=False):
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            line = _toml_line(toml, str(err["loc"][0]), clean) if err["loc"] else None
            if line is not None:
                where = f"{toml} line {line}: {where}"
            problems.append(f"{where}: {err['msg']}")
        raise ConfigError(f"invalid settings: {'; '.join(problems)}") from None


def _toml_path(overrides: dict[str, Any]) -> Path:
    """Where :meth:`Settings.settings_customise_sources` looks for vigia.toml."""
    env = {key.upper(): value for key, value in os.environ.items()}
    home = overrides.get("home") or env.get("VIGIA_HOME") or default_home()
    return Path(home).expanduser() / "vigia.toml"


def _toml_line(path: Path, key: str, overrides: dict[str, Any]) -> int | None:
    """The line of vigia.toml a bad value came from: None when a flag or the environment
    gave it (they win over the file), or the file does not set it."""
    if key in overrides or f"VIGIA_{key}".upper() in (k.upper() for k in os.environ):
        return None
    if not path.is_file():
        return None
    return _key_line(path, key)
