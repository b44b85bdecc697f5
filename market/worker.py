"""Job workers: claim a job, run it with a heartbeat beside it, record how it ended.

Each app process (`wastematch serve`, `demo`) starts `job_processes` `wastematch worker`
processes beside it (default 1; they stop when it stops, or when it dies) and/or
`job_threads` worker threads inside it. Processes are the default because the solver is
CPU-bound: a solve in a thread of the web process held its GIL and a 50 ms page took up to a
second. `wastematch worker` can also be run on its own, with the app's set to 0. Every worker
first reaps the jobs whose worker died (market/jobs.py `reap`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
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


def start_threads(
    db: Database, settings: Settings, count: int
) -> tuple[threading.Event, list[threading.Thread]]:
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


PARENT_ENV = "WASTEMATCH_JOB_PARENT"
"""Set for a worker process an app process started: the worker stops when that parent is gone."""


def start_processes(settings: Settings, count: int) -> list[subprocess.Popen[bytes]]:
    """`count` `wastematch worker` processes on the app's database, children of this process."""
    env = dict(os.environ) | {
        "WASTEMATCH_DATABASE_URL": settings.database_url,
        "WASTEMATCH_SECRET_KEY": settings.secret_key,
        "WASTEMATCH_SEAL_KEY_FILE": str(settings.seal_key_path()),
        PARENT_ENV: str(os.getpid()),
    }
    return [
        subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], env=env) for _ in range(count)
    ]


def stop_processes(children: list[subprocess.Popen[bytes]], wait_s: float = 5.0) -> None:
    """SIGTERM (each stops after a moment, or at once between jobs), then SIGKILL: a job cut
    short is taken up again by the next worker once its heartbeat is stale."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def parent_gone() -> bool:
    parent = os.environ.get(PARENT_ENV)
    return bool(parent) and str(os.getppid()) != parent
