"""Health: /livez, /readyz, /health (draft-inadarei-api-health-check)."""
