"""The daily backup: at ``backup_time`` in the machine's local time, at startup when
today's was missed, and retention after each one.

:class:`BackupScheduler` is a background service (``state.services``; started after
startup, stopped before the engine is disposed). What it does:

- **When.** Every day at ``backup_time`` (default 12:30), local time of the machine. The
  next run is built as "that date at HH:MM" in the local zone, so it follows daylight
  saving changes (a day may be 23 or 25 hours long). A time a DST change skips (02:30 on
  a spring-forward night) runs as the clock reads after the jump (03:30); a time that
  happens twice runs once, at the first.
- **Missed.** At startup, if today's time has passed and there is no backup (of any
  trigger) made today, one is made after ``backup_startup_delay_s`` (default 2 minutes),
  so it does not compete with the start itself.
- **Waiting** re-reads the wall clock at least every ``MAX_NAP_S`` (5 s), so a machine
  that was suspended, or whose clock was corrected, runs the backup at the right time, or
  once at once if the time passed meanwhile. The timers themselves are monotonic
  (``asyncio.sleep``); comparing the wall clock with the monotonic one after each nap
  tells a clock step (a time sync, someone setting the time, a wake-up from sleep) from
  time passing, and the step is logged with the next backup time. A step forward past
  ``backup_time`` makes the day's backup once; a step back never repeats one: after a
  backup the next is due at the next day's time, a fixed moment a step back only makes
  further away.
- **Running.** :func:`~embedded_backend.backup.automatic.scheduled_backup` in a worker
  thread (never on the event loop): ``create_backup(trigger="schedule")``, audit
  (``backup.create``, actor ``vigia``), then ``prune_backups`` (retention: N daily,
  M weekly, never the newest, never a pre-restore backup under 30 days old).
- **Busy** (another backup, prune or restore holds the lock): again in 5 minutes.
- **Failed**: logged with its plain reason (and audited); again in 30 minutes, at most
  3 times, then at the next daily time. When backups keep failing, the backup-age alert
  and ``backup:age`` in health say so. Nothing here ever stops the server.
- **Stop.** While waiting, at once. While a backup runs, it is given up to
  ``stop_wait_s`` (half of ``graceful_shutdown_s``, so the server's own stop stays within
  its bound) to finish, because a copy cannot be interrupted halfway:
  :func:`create_backup` is one blocking call. If it is still running then, the service
  stops waiting and the thread finishes the copy and retention on its own, without an
  audit row (the engine is being closed); a backup the thread had not begun is not made.
  Nothing half-made is ever listed: if the process ends first, the OS releases the
  backup lock and the next backup deletes the temporary file.

Time is injectable (``clock`` returns an aware datetime, ``sleep`` awaits seconds, ``tz``
is the zone, ``None`` = the machine's; ``monotonic`` is compared with ``clock`` to notice
steps, and defaults to ``time.monotonic`` only with the real clock), so tests run a day in
milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from time import monotonic as _monotonic
from typing import Any, Literal

import anyio

from embedded_backend.backup.auditing import record_action
from embedded_backend.backup.automatic import ACTOR, scheduled_backup
from embedded_backend.backup.errors import BackupBusy, BackupError
from embedded_backend.backup.folder import backup_folder
from embedded_backend.backup.listing import Backup, newest_backup
from embedded_backend.config import Settings
from embedded_backend.db.database import Database

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

MAX_NAP_S = 5.0  # the wall clock is re-read at least this often while waiting
CLOCK_STEP_S = 2.0  # wall and monotonic clocks disagreeing by this much = a clock step
BUSY_RETRY = timedelta(minutes=5)
FAILURE_RETRY = timedelta(minutes=30)
FAILURE_RETRIES = 3  # after the first failure of a day; then the next daily time
HISTORY = 20  # recent attempts kept in memory


def parse_time(text: str) -> time:
    """``"HH:MM"`` (as the settings validated it) as a time of day."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def local_at(day: date, at: time, tz: tzinfo | None = None) -> datetime:
    """``day`` at ``at`` on the wall clock of ``tz`` (``None`` = the machine's), in UTC.

    A time that happens twice (the clock goes back) is the first; one that does not
    happen (the clock jumps forward) is read on the clock after the jump (02:30 → 03:30).
    """
    wall = datetime.combine(day, at)
    first, second = (_to_utc(wall.replace(fold=fold), tz) for fold in (0, 1))
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    return max(first, second)


def _to_utc(wall: datetime, tz: tzinfo | None) -> datetime:
    # A naive datetime's astimezone() reads it as the machine's local time, DST included.
    moment = wall.astimezone() if tz is None else wall.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def next_run(now: datetime, at: time, tz: tzinfo | None = None) -> datetime:
    """The first daily time strictly after ``now`` (UTC)."""
    today = now.astimezone(tz).date()
    candidate = local_at(today, at, tz)
    if candidate > now:
        return candidate
    return local_at(today + timedelta(days=1), at, tz)


def missed_today(
    now: datetime, at: time, newest: datetime | None, tz: tzinfo | None = None
) -> bool:
    """Today's time has passed and the newest backup (``newest``: when it was made) is
    from an earlier day, or there is none."""
    today = now.astimezone(tz).date()
    if now < local_at(today, at, tz):
        return False
    return newest is None or newest.astimezone(tz).date() < today


@dataclass(frozen=True)
class Attempt:
    """One run of the scheduled backup, for logs and tests."""

    at: datetime  # when it started (UTC)
    outcome: Literal["created", "busy", "failed"]
    detail: str  # backup id, or the plain reason
    next_at: datetime  # when the scheduler runs next (UTC)


def _duration(seconds: float) -> str:
    """``3 h 0 min``, ``12 min``, ``40 s``: a clock step in words."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{secs} s"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BackupScheduler:
    """The daily backup as a background service; see the module docstring."""

    def __init__(
        self,
        settings: Settings,
        db: Database | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        tz: tzinfo | None = None,
        stop_wait_s: float | None = None,
        monotonic: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.db = db  # for the audit rows; None = no audit
        self.at = parse_time(settings.backup_time)
        self.tz = tz
        self.stop_wait_s = settings.graceful_shutdown_s / 2 if stop_wait_s is None else stop_wait_s
        self.next_run_at: datetime | None = None
        self.attempts: deque[Attempt] = deque(maxlen=HISTORY)
        self._clock = clock or _utc_now
        self._sleep = sleep or asyncio.sleep
        # A fake wall clock with the real monotonic one would look like steps all along.
        self._monotonic = monotonic or (_monotonic if clock is None else None)
        self._task: asyncio.Task[None] | None = None
        self._failures = 0
        self._running = False  # a backup is being made in the worker thread
        self._stopping = False
        self._abandoned = False  # stop() stopped waiting for the running backup

    # -- service ---------------------------------------------------------------
    async def start(self) -> None:
        if not self.settings.backup_schedule_enabled:
            log.info("scheduled backups are off (backup_schedule_enabled is false)")
            return
        if self._task is None:
            self._stopping = self._abandoned = False
            self._task = asyncio.create_task(self._run(), name="vigia-backup-schedule")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        if self._running and not task.done():
            log.info("waiting up to %.0f s for the scheduled backup in progress to finish",
                     self.stop_wait_s)  # fmt: skip
            await asyncio.wait({task}, timeout=self.stop_wait_s)
            if not task.done():
                self._abandoned = True
                log.warning(
                    "the scheduled backup did not finish within %.0f s; it goes on in the "
                    "background (if the process ends first, the next backup removes its "
                    "temporary file)",
                    self.stop_wait_s,
                )
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    # -- loop ------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            due = await self._first_due()
            while not self._stopping:
                self.next_run_at = due
                await self._wait_until(due)
                due = await self._attempt()
        except Exception:  # the edge of a background task: log, never take the server down
            log.exception("scheduled backups stopped after an unexpected error; restart the "
                          "backend to resume them")  # fmt: skip

    async def _first_due(self) -> datetime:
        now = self._clock()
        newest = await anyio.to_thread.run_sync(newest_backup, backup_folder(self.settings))
        made = newest.created_at if newest is not None else None
        if missed_today(now, self.at, made, self.tz):
            due = now + timedelta(seconds=self.settings.backup_startup_delay_s)
            log.info("today's backup (due at %s) has not been made; making it in %.0f s",
                     self.settings.backup_time, self.settings.backup_startup_delay_s)  # fmt: skip
            return due
        due = next_run(now, self.at, self.tz)
        log.info("scheduled backups daily at %s; the next at %s", self.settings.backup_time,
                 self._local(due))  # fmt: skip
        return due

    async def _wait_until(self, due: datetime) -> None:
        while (remaining := (due - self._clock()).total_seconds()) > 0:
            wall, mono = self._clock(), self._monotonic() if self._monotonic else 0.0
            await self._sleep(min(remaining, MAX_NAP_S))
            if self._monotonic is not None:
                step = (self._clock() - wall).total_seconds() - (self._monotonic() - mono)
                if abs(step) >= CLOCK_STEP_S:
                    self._clock_stepped(step, due)

    def _clock_stepped(self, step_s: float, due: datetime) -> None:
        direction = "forward" if step_s > 0 else "back"
        when = "it is due now" if due <= self._clock() else f"the next is at {self._local(due)}"
        log.warning(
            "the clock was moved %s by %s (a time sync, a manual change or the computer "
            "waking up); scheduled backups follow the clock: %s",
            direction,
            _duration(abs(step_s)),
            when,
        )

    async def _attempt(self) -> datetime:
        started = self._clock()
        self._running = True
        try:
            backup: Backup = await anyio.to_thread.run_sync(
                scheduled_backup, self.settings, self._audit, abandon_on_cancel=True
            )
        except BackupBusy as exc:
            return self._record(started, "busy", str(exc))
        except BackupError as exc:
            return self._record(started, "failed", str(exc))
        except Exception as exc:  # a bug, not a backup problem: log it whole, retry as usual
            log.exception("the scheduled backup failed unexpectedly")
            return self._record(started, "failed", type(exc).__name__)
        finally:
            self._running = False
        return self._record(started, "created", backup.id)

    def _record(
        self, started: datetime, outcome: Literal["created", "busy", "failed"], detail: str
    ) -> datetime:
        now = self._clock()
        daily = next_run(now, self.at, self.tz)
        if outcome == "created":
            due = daily
            log.info("scheduled backup %s made; the next at %s", detail, self._local(due))
        elif outcome == "busy":
            due = min(now + BUSY_RETRY, daily)
            log.info("scheduled backup postponed: %s; trying again at %s", detail,
                     self._local(due))  # fmt: skip
        else:
            self._failures += 1
            due = min(now + FAILURE_RETRY, daily) if self._failures <= FAILURE_RETRIES else daily
            if due == daily:
                log.error("scheduled backup failed: %s; no more retries today, the next "
                          "scheduled backup is at %s", detail, self._local(due))  # fmt: skip
            else:
                log.error("scheduled backup failed: %s; trying again at %s (retry %d of %d)",
                          detail, self._local(due), self._failures, FAILURE_RETRIES)  # fmt: skip
        if due == daily:
            self._failures = 0
        self.attempts.append(Attempt(started, outcome, detail, due))
        return due

    # -- helpers ---------------------------------------------------------------
    def _audit(self, action: str, target: str | None, detail: dict[str, Any]) -> None:
        """Called from the worker thread."""
        if self.db is None or self._abandoned:  # the engine may be disposed by now
            return
        record_action(self.db, ACTOR, action, target, detail)

    def _local(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z").strip()
