"""The HTTP layer: dependencies, problem+json errors, routes."""
