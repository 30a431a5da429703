"""Pure-ASGI middleware (never BaseHTTPMiddleware)."""
