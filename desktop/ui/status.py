"""What the tray shows for a supervisor state and the latest health sample: a colour
level, a one-line summary (the tooltip), the reason and a suggested action (the
dashboard's banner). No widgets here.

Colours (DESIGN.md, plus the two states it leaves open)::

    running                          green
    degraded, health "warn"          yellow   (the ERP works; something needs attention)
    degraded, health "fail"          red      (it answers but cannot work: database down)
    failed, fatal, backoff           red      (backoff = down, waiting to restart)
    starting                         blue
    stopping, stopped                grey
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from desktop.core.samples import Sample
from desktop.core.supervisor import State
from desktop.ui.i18n import tr

TOOLTIP_MAX = 120  # Windows cuts tray tooltips at 127 characters


class Level(StrEnum):
    OK = "ok"  # green
    WARNING = "warning"  # yellow
    ERROR = "error"  # red
    OFF = "off"  # grey
    BUSY = "busy"  # blue


_LEVELS = {
    State.RUNNING: Level.OK,
    State.DEGRADED: Level.WARNING,
    State.FAILED: Level.ERROR,
    State.FATAL: Level.ERROR,
    State.BACKOFF: Level.ERROR,
    State.STARTING: Level.BUSY,
    State.STOPPING: Level.OFF,
    State.STOPPED: Level.OFF,
}


class Action(StrEnum):
    """What the banner's button does."""

    RESTART = "restart"
    LOGS = "logs"
    SETTINGS = "settings"


@dataclass(frozen=True)
class TrayStatus:
    state: State
    level: Level
    label: str  # "running", "failed", ... (translated)
    summary: str  # the tooltip: "Vigia: running · DB 2 ms · 9/10 routers"
    reason: str  # why, in words
    advice: str  # what to do
    action: Action | None = None


def state_label(state: State) -> str:
    labels = {
        State.RUNNING: tr("running"),
        State.DEGRADED: tr("degraded"),
        State.FAILED: tr("failed"),
        State.FATAL: tr("failed"),
        State.BACKOFF: tr("restarting"),
        State.STARTING: tr("starting"),
        State.STOPPING: tr("stopping"),
        State.STOPPED: tr("stopped"),
    }
    return labels[state]


def _health_parts(sample: Sample) -> list[str]:
    parts = []
    if sample.db_ms is not None:
        parts.append(tr("DB {ms} ms").format(ms=_ms(sample.db_ms)))
    elif (db := sample.checks.get("database:responseTime")) is not None and db.status == "fail":
        parts.append(tr("DB not answering"))
    if sample.routers:
        working = sum(1 for r in sample.routers if r.status == "pass")
        parts.append(
            tr("{working}/{total} routers").format(working=working, total=len(sample.routers))
        )
    return parts


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _host(url: str | None) -> str:
    return (urlsplit(url).netloc or url) if url else "?"


def describe(
    state: State,
    reason: str,
    sample: Sample | None,
    *,
    remote_url: str | None = None,
) -> TrayStatus:
    """The status for ``state`` (with the supervisor's ``reason``) and the latest sample
    (None before the first poll). ``remote_url`` is set in remote mode."""
    level = _LEVELS[state]
    label = state_label(state)
    failing = state is State.DEGRADED and sample is not None and sample.status == "fail"
    if failing:
        level, label = Level.ERROR, tr("failed")
    action: Action | None = None
    if state is State.RUNNING:
        advice = tr("Nothing to do: the ERP server is working.")
    elif state is State.DEGRADED and failing:
        advice = tr(
            "The ERP cannot save or show data until this is fixed. Check the database "
            "server (or the disk it uses); Vigia keeps trying by itself."
        )
        action = Action.LOGS
    elif state is State.DEGRADED:
        advice = tr("The ERP works, but something needs attention: see the alerts below.")
        action = Action.LOGS
    elif state is State.STARTING or state is State.STOPPING:
        advice = tr("Please wait a moment.")
    elif state is State.STOPPED:
        advice = tr("The ERP server is stopped. Use Restart backend to start it.")
        action = Action.RESTART
    elif remote_url is not None:
        advice = tr(
            "Check that the server computer is on and connected to the network; if it is, "
            "ask whoever looks after it to restart Vigia there."
        )
        action = Action.SETTINGS
    elif state is State.FATAL:
        advice = tr(
            "The ERP server keeps stopping. Use Restart backend to try now; if it stops "
            "again, use Export diagnostics and send the file to support."
        )
        action = Action.RESTART
    else:  # failed, backoff
        advice = tr(
            "Vigia is restarting the ERP server by itself. If this keeps happening, use "
            "Export diagnostics and send the file to support."
        )
        action = Action.RESTART
    parts = [tr("Vigia: {state}").format(state=label)]
    if remote_url is not None:
        parts.append(_host(remote_url))
    if sample is not None and sample.answered and state in (State.RUNNING, State.DEGRADED):
        parts.extend(_health_parts(sample))
    elif state in (State.FAILED, State.FATAL, State.BACKOFF) and reason:
        parts.append(reason)
    summary = " · ".join(parts)
    if len(summary) > TOOLTIP_MAX:
        summary = summary[: TOOLTIP_MAX - 1].rstrip() + "…"
    if failing and sample is not None and sample.output:
        reason = sample.output
    return TrayStatus(state, level, label, summary, reason, advice, action)
