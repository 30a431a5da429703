"""Settings: one pydantic-settings class, one loader."""

from embedded_backend.config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
