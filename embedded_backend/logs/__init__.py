"""Structured logging: JSON lines to ``backend.jsonl``, readable console, secrets redacted."""

from embedded_backend.logs.setup import configure_logging, shutdown_logging

__all__ = ["configure_logging", "shutdown_logging"]
