"""What counts as a problem, and the words that tell office staff about it.

Three sources, each turned into :class:`Finding` objects keyed ``(category, subject)``:

- a health sample (:func:`sample_findings`): database failing, health answers slower than
  the threshold N samples in a row, a router that failed to load, disk almost full,
  backup out of date;
- a supervisor transition (:func:`down_finding`): the backend is down;
- the backend's own active alerts (:func:`server_findings`). Its ``disk_free`` and
  ``backup_age`` alerts share the key of the tray's own disk and backup findings, so
  the same problem is one alert, whichever side sees it first.

Every text is an English source string passed through ``tr`` before it is formatted, so
the UI can give a pt-BR translation; the backend's own messages come as it wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from desktop.core.categories import Category
from desktop.core.samples import DATABASE, DISK, Sample
from desktop.core.supervisor import State, Transition

Translate = Callable[[str], str]
Key = tuple[Category, str]
SEVERITIES = ("warning", "error", "critical")


def identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Finding:
    category: Category
    subject: str
    severity: str  # warning | error | critical
    title: str
    message: str  # what happened and what to do
    resolved_message: str  # the toast when it is over

    @property
    def key(self) -> Key:
        return (self.category, self.subject)


# -- the backend is down ---------------------------------------------------------------
def down_finding(transition: Transition, url: str | None, tr: Translate = identity) -> Finding:
    if not transition.owned:
        message = tr(
            "The ERP server at {url} does not answer. Check that the server computer is on "
            "and connected to the network; if it is, ask whoever looks after it to restart "
            "Vigia there."
        ).format(url=url or "?")
        severity = "error"
    elif transition.new is State.FATAL:
        message = tr(
            "The ERP server keeps stopping, so Vigia now tries again only every {minutes:g} "
            "minutes. Use Restart backend to try now; if it stops again, use Export "
            "diagnostics and send the file to support."
        ).format(minutes=(transition.retry_in_s or 300) / 60)
        severity = "critical"
    else:
        message = tr(
            "The ERP server stopped working; Vigia is restarting it. If this message comes "
            "back, use Export diagnostics and send the file to support."
        )
        severity = "error"
    return Finding(
        Category.BACKEND_DOWN,
        "backend",
        severity,
        tr("ERP server stopped"),
        message,
        tr("The ERP server is working again."),
    )


# -- health samples -----------------------------------------------------------------
def sample_findings(
    sample: Sample,
    slow_streak: int,
    latency_threshold_ms: float,
    latency_samples: int,
    tr: Translate = identity,
) -> dict[Key, Finding]:
    """Findings from one answered sample; ``slow_streak`` counts it if it was slow."""
    found: list[Finding] = []
    database = sample.checks.get(DATABASE)
    if database is not None and database.status == "fail":
        found.append(
            Finding(
                Category.DATABASE,
                "database",
                "error",
                tr("Database not answering"),
                tr(
                    "The ERP server cannot reach its database, so the ERP cannot save or "
                    "show data. Check that the database server (or the disk it uses) is "
                    "working; Vigia keeps trying."
                ),
                tr("The database is answering again."),
            )
        )
    if slow_streak >= latency_samples and sample.latency_ms is not None:
        found.append(
            Finding(
                Category.LATENCY,
                "health",
                "warning",
                tr("ERP server slow"),
                tr(
                    "The ERP server took {ms:.0f} ms to answer, {count} times in a row (the "
                    "limit is {limit:.0f} ms). If it stays slow, close programs you do not "
                    "need or restart the backend."
                ).format(ms=sample.latency_ms, count=slow_streak, limit=latency_threshold_ms),
                tr("The ERP server answers quickly again."),
            )
        )
    for router in sample.routers:
        if router.failed:
            found.append(
                Finding(
                    Category.ROUTER,
                    router.name,
                    "error" if router.status == "fail" else "warning",
                    tr("ERP module not working"),
                    tr(
                        "The ERP module '{name}' failed to load, so its screens do not work. "
                        "Restart the backend; if it fails again, use Export diagnostics and "
                        "send the file to support."
                    ).format(name=router.name),
                    tr("The ERP module '{name}' works again.").format(name=router.name),
                )
            )
    disk = sample.checks.get(DISK)
    if disk is not None and disk.status in ("warn", "fail"):
        found.append(_disk(disk.status == "fail", disk.value, tr))
    backup = sample.checks.get("backup:age")
    if backup is not None and backup.status in ("warn", "fail"):
        found.append(_backup(backup.value, tr))
    return {f.key: f for f in found}


def _disk(full: bool, percent: float | None, tr: Translate) -> Finding:
    if percent is None:
        message = tr(
            "The disk with the ERP data is almost full. Free space now (empty the recycle "
            "bin, move old files elsewhere), or the ERP may stop saving data."
        )
    else:
        message = tr(
            "The disk with the ERP data is {percent:.0f}% full. Free space now (empty the "
            "recycle bin, move old files elsewhere), or the ERP may stop saving data."
        ).format(percent=percent)
    return Finding(
        Category.DISK,
        "disk",
        "error" if full else "warning",
        tr("Disk almost full"),
        message,
        tr("There is enough free disk space again."),
    )


def _backup(age_h: float | None, tr: Translate) -> Finding:
    if age_h is None:
        message = tr(
            "The newest backup is too old. Make one now (tray menu: Back up now) and check "
            "that scheduled backups run."
        )
    else:
        message = tr(
            "The newest backup is {days:.1f} days old. Make one now (tray menu: Back up "
            "now) and check that scheduled backups run."
        ).format(days=age_h / 24)
    return Finding(
        Category.BACKUP,
        "backups",
        "warning",
        tr("Backup out of date"),
        message,
        tr("A recent backup exists again."),
    )


# -- the backend's own alerts ---------------------------------------------------------
# Backend rules that describe the same condition as a tray finding: one alert, one key.
_SAME_AS = {"disk_free": (Category.DISK, "disk"), "backup_age": (Category.BACKUP, "backups")}


def server_findings(
    active: Iterable[Mapping[str, Any]], tr: Translate = identity
) -> dict[Key, Finding]:
    """Findings from the active alerts of ``/api/v1/monitoring/alerts``."""
    found: dict[Key, Finding] = {}
    for alert in active:
        rule, subject = str(alert.get("rule", "")), str(alert.get("subject", ""))
        message = alert.get("message")
        if not rule or not isinstance(message, str):
            continue
        severity = alert.get("severity")
        severity = severity if severity in SEVERITIES else "warning"
        category, key_subject = _SAME_AS.get(rule, (Category.SERVER, f"{rule}:{subject}"))
        if category is Category.DISK:
            title, resolved = tr("Disk almost full"), tr("There is enough free disk space again.")
        elif category is Category.BACKUP:
            title, resolved = tr("Backup out of date"), tr("A recent backup exists again.")
        else:
            title = tr("Server alert")
            resolved = tr("The server no longer reports this problem: {message}").format(
                message=message
            )
        found[(category, key_subject)] = Finding(
            category, key_subject, str(severity), title, message, resolved
        )
    return found
