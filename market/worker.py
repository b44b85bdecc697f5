"""Job workers: claim a job, run it with a heartbeat beside it, record how it ended.

`wastematch serve` starts `job_threads` of them in each app process (threads: the solver's
heavy parts run in OR-Tools and NumPy); `wastematch worker` runs them in a process of their
own, for deployments that keep the CPU-bound work off the web processes. Every worker first
reaps jobs whose worker died (market/jobs.py `reap`).
"""

from __future__ import annotations

import logging
import threading
import traceback

from market import jobs
from market.db import Database
from market.errors import DomainError
from market.jobs import Claim, JobCancelled, JobLost, Progress
from market.settings import Settings

log = logging.getLogger("wastematch.jobs")


class Worker:
    def __init__(
        self, db: Database, settings: Settings, *, name: str | None = None, poll_s: float = 1.0
    ) -> None:
        self.db = db
        self.settings = settings
        self.name = name
        self.poll_s = poll_s

    def run_once(self) -> bool:
        """Reap, then claim and run one job: False when there was none."""
        jobs.reap(self.db, self.settings.job_stale_s)
        claimed = jobs.claim(self.db, self.name or jobs.worker_name())
        if claimed is None:
            return False
        self.execute(claimed)
        return True

    def execute(self, claimed: Claim) -> None:
        from market.services.jobs import HANDLERS

        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(claimed, stop), name=f"job-{claimed.id}-heartbeat", daemon=True
        )
        beat.start()
        log.info("job %s (%s): attempt %s started", claimed.id, claimed.kind, claimed.attempt)
        try:
            handler = HANDLERS.get(claimed.kind)
            if handler is None:
                jobs.fail(self.db, claimed, f"kind: {claimed.kind!r} is not a kind of job")
                return
            handler(self.db, self.settings, claimed, Progress(self.db, claimed))
            log.info("job %s (%s): done", claimed.id, claimed.kind)
        except JobCancelled:
            jobs.cancelled(self.db, claimed)
            log.info("job %s (%s): cancelled", claimed.id, claimed.kind)
        except JobLost as exc:
            log.warning("%s", exc)
        except DomainError as exc:
            # the market changed since the job was checked, or its user was deactivated
            jobs.fail(self.db, claimed, exc.message)
        except Exception as exc:  # noqa: BLE001 - recorded on the job, never left running
            log.error("job %s (%s) failed:\n%s", claimed.id, claimed.kind, traceback.format_exc())
            jobs.fail(self.db, claimed, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            stop.set()
            beat.join(timeout=5)

    def _beat(self, claimed: Claim, stop: threading.Event) -> None:
        while not stop.wait(self.settings.job_heartbeat_s):
            try:
                if not jobs.heartbeat(self.db, claimed):
                    return  # reaped and taken by another worker, or ended
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                log.exception("job %s: heartbeat failed", claimed.id)

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; between jobs, look for one every `poll_s` seconds."""
        while not stop.is_set():
            try:
                if self.run_once():
                    continue
            except Exception:  # noqa: BLE001 - the database may be away for a moment
                log.exception("job worker: claiming failed")
            stop.wait(self.poll_s)


def start_threads(db: Database, settings: Settings, count: int) -> tuple[threading.Event, list]:
    """`count` worker threads (daemons) over `db`; set the event to stop them between jobs."""
    stop = threading.Event()
    threads = []
    for n in range(count):
        worker = Worker(db, settings)
        thread = threading.Thread(
            target=worker.run, args=(stop,), name=f"job-worker-{n + 1}", daemon=True
        )
        thread.start()
        threads.append(thread)
    return stop, threads
