"""The tray app's logic, without Qt: supervision, health polling, history and alerts.

Nothing here imports Qt. Each part reports through :class:`~desktop.core.signals.Signal`
lists of callbacks, called on the part's own worker thread; the UI layer (``desktop/ui``)
connects them to Qt signals, which queue the call to the GUI thread.

Modules::

    config.py          DesktopConfig: poll interval, timeouts, alert thresholds, muting
    errors.py          Error and its subclasses
    signals.py         Signal: a Qt-free list of callbacks
    clock.py           Clock (monotonic + wall time), SystemClock
    scheduler.py       Scheduler: a serial executor with timers; ThreadScheduler
    restart_policy.py  RestartPolicy: backoff delays, fast-failure limit, slow retry
    runner.py          Runner: what the supervisor drives (ServerRunner satisfies it)
    remote.py          RemoteBackend: a backend on another machine (admin API restart)
    supervisor.py      Supervisor: the state machine that keeps the backend up
    samples.py         Sample (one health poll), parse_health, SampleRing (last hour)
    poller.py          HealthPoller: /readyz every few seconds in a worker thread
    history.py         HistoryStore: per-minute and hourly aggregates in SQLite
    categories.py      Category: the alert categories (each can be muted)
    alert_rules.py     Findings from a sample, a transition or the backend's alerts
    alerts.py          AlertCenter: minimum duration, dedup, toasts, muting, history
    monitor.py         Monitor: all of the above built and wired for the tray
"""
