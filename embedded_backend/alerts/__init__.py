"""Server-side alerts: rules over a snapshot of the backend, evaluated on every metrics
sampling tick, with one active alert per (rule, subject).

Modules, one topic each:

- ``snapshot``: the numbers the rules look at, gathered from the running app
- ``rules``: the rules, each a plain function of a snapshot and the thresholds
- ``manager``: :class:`AlertManager` (dedup, escalation, auto/manual resolve, history)
- ``service``: the background task that gathers a snapshot and evaluates the rules

Thresholds are settings (block ``# Alerts`` in ``config/settings.py``); a threshold of 0
turns its rule off.
"""
