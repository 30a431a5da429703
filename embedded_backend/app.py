"""``create_app(settings)``: a fresh application (engine, registries, state) every call."""

from __future__ import annotations

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI

from embedded_backend import __version__
from embedded_backend.alerts.service import AlertService
from embedded_backend.api.openapi import VigiaAPI
from embedded_backend.api.problems import install_problem_handlers
from embedded_backend.backup.schedule import BackupScheduler
from embedded_backend.cache import build_cache
from embedded_backend.config import Settings
from embedded_backend.db.database import Database
from embedded_backend.health.routes import router as health_router
from embedded_backend.health.service import HealthService
from embedded_backend.lifespan import lifespan
from embedded_backend.logs.redaction import register_secret
from embedded_backend.middleware.guard import GuardMiddleware
from embedded_backend.middleware.protection import add_protection
from embedded_backend.observability.endpoint import router as metrics_router
from embedded_backend.observability.hub import Observability
from embedded_backend.observability.middleware import MetricsMiddleware
from embedded_backend.principals import PrincipalCache
from embedded_backend.routers.gate import RouterGateMiddleware
from embedded_backend.routers.registry import RouterRegistry
from embedded_backend.routers.specs import resolve_specs
from embedded_backend.secrets import Secrets, load_secrets
from embedded_backend.state import AppState


def create_app(settings: Settings, secrets: Secrets | None = None) -> FastAPI:
    specs = resolve_specs(settings.routers)
    secrets = secrets or load_secrets(settings)
    register_secret(secrets.admin_token)
    register_secret(secrets.secret_key)
    settings.paths.ensure()
    state = AppState(
        settings=settings,
        secrets=secrets,
        db=Database(settings),
        routers=RouterRegistry(specs),
        principals=PrincipalCache(secrets.admin_token, secrets.secret_key, settings.auth_cache_s),
        cache=build_cache(settings),
    )
    docs = settings.docs_enabled
    # VigiaAPI: FastAPI whose OpenAPI document also describes the problem+json answers.
    app = VigiaAPI(
        title="Vigia ERP backend",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.vigia = state
    app.state.health = HealthService(state)
    install_problem_handlers(app)
    app.include_router(health_router)
    # Observability: per-app registry and engine events, history sampler, GET /metrics.
    observability = Observability(state, app.state.health)
    app.state.observability = observability
    state.services.append(observability)
    # Cache: counts hits/misses on this app's registry; pings Redis in the background.
    state.cache.bind_counters(observability.metrics)
    state.services.append(state.cache)
    # Alerts: rules judged on every sampling tick; GET/POST /api/v1/monitoring/alerts.
    alerts = AlertService(observability)
    app.state.alerts = alerts.manager
    state.services.append(alerts)
    # Daily backup at backup_time, and at startup if today's was missed (backup/schedule.py).
    backup_schedule = BackupScheduler(settings, state.db)
    app.state.backup_schedule = backup_schedule
    state.services.append(backup_schedule)
    app.include_router(metrics_router)
    # Added innermost first: the guard ends up outermost.
    app.add_middleware(RouterGateMiddleware, registry=state.routers)
    # Protection: host check, security headers, CORS, body limit, rate limits, gzip; inside
    # the correlation ID so their refusals carry X-Request-ID (order: middleware/protection.py).
    add_protection(app, state)
    # GuardMiddleware (outside) already replaced a missing or malformed ID: no re-validation,
    # and no transformer (the library's default is an identity function called per request).
    app.add_middleware(
        CorrelationIdMiddleware, header_name="X-Request-ID", validator=None, transformer=None
    )
    app.add_middleware(GuardMiddleware)
    # Observability: keep this the last middleware added (outermost), so the metrics see
    # the status the client got, including the gate's 503s and the guard's 500s.
    app.add_middleware(
        MetricsMiddleware,
        metrics=observability.metrics,
        performance=observability.performance,
        templates=observability.templates,
    )
    return app
