"""What each `wastematch` command does; `web.cli` reads the command line and calls one."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from market.db import Database
    from market.settings import Settings

DEMO_DB = "sqlite:///wastematch-demo.db"


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def _settings(*, demo: bool = False, db: str | None = None) -> Settings:
    from market.settings import Settings, SettingsError

    try:
        settings = Settings.from_env(demo=demo)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    return settings.with_database(db) if db else settings


def _settings_of(args: argparse.Namespace) -> Settings:
    """The settings of a command with `--db` (a SQLite file or a URL), demo secrets allowed."""
    return _settings(demo=True, db=args.db and _sqlite_url(args.db))


@contextmanager
def _database(settings: Settings, *, ready: bool = True) -> Iterator[Database]:
    """The configured database (at the latest migration, unless `ready=False`), disposed after."""
    from market.db import Database

    if ready:
        _ready(settings.database_url)
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        db.dispose()


def _sqlite_url(value: str) -> str:
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from market.migrate import upgrade
    from market.seed import sync_catalogue

    settings = _settings_of(args)
    upgrade(settings.database_url)
    with _database(settings, ready=False) as db:
        changed = sync_catalogue(db)
    print(f"database at head; materials catalogue synced ({changed} changed)")
    return 0


def _ready(url: str) -> None:
    from market.migrate import current_revision, head_revision

    current = current_revision(url)
    if current != head_revision():
        raise CliError(
            f"database: schema is at {current or 'nothing'}, not {head_revision()}; "
            "run `wastematch db upgrade` first"
        )


def cmd_seed(args: argparse.Namespace) -> int:
    if not args.demo:
        raise CliError("seed: nothing to do; pass --demo to load the illustrative demo data set")
    from market.seed import seed_demo

    settings = _settings_of(args)
    with _database(settings) as db:
        report = seed_demo(db, settings)
    if report.created:
        print(
            f"demo data loaded: {report.organisations} organisations, {report.sites} sites, "
            f"{report.lots} lots, {report.offers} offers, {report.deliveries} deliveries, "
            f"{report.ledger_entries} ledger entries"
        )
    else:
        print("demo data already loaded; nothing added")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from market.errors import DomainError
    from market.services.users import add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CliError("password: the two entries differ")
    try:
        with _database(_settings(demo=True)) as db, db.unit_of_work() as uow:
            user = add_user(
                uow,
                username=args.username,
                role=args.role,
                org=args.org,
                password=password,
                email=args.email,
            )
    except DomainError as exc:
        raise CliError(exc.message) from None
    print(f"user {user.username} ({user.role}) added to {args.org}")
    return 0


def cmd_evaluators_link(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from market.seed import link_evaluator
    from market.tables import Organisation

    with _database(_settings(demo=True)) as db, db.unit_of_work() as uow:
        found: dict[str, int] = {}
        for flag, name, kind in (
            ("--evaluator-org", args.evaluator_org, "evaluator"),
            ("--producer-org", args.producer_org, "producer"),
        ):
            org = uow.session.exec(select(Organisation).where(Organisation.name == name)).first()
            if org is None or org.id is None or org.kind != kind:
                what = "does not exist" if org is None else f"is a {org.kind} organisation"
                raise CliError(f"{flag}: {name!r} {what}; name an organisation of kind {kind}")
            found[kind] = org.id
        link_evaluator(uow, found["evaluator"], found["producer"])
        uow.commit()
    print(f"{args.evaluator_org} now evaluates {args.producer_org}")
    return 0


def cmd_seals_verify(args: argparse.Namespace) -> int:
    import json

    from market.seals import SealKeyError, verify_export

    try:
        pem = Path(args.public_key).read_bytes()
        exported = json.loads(Path(args.seal).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"input: cannot read ({exc})") from None
    if not isinstance(exported, dict):
        raise CliError("--seal: expected a JSON object as GET /api/v1/reports/{id}/seal answers")
    try:
        result = verify_export(pem, exported)
    except SealKeyError as exc:
        raise CliError(str(exc)) from None
    if not result["ok"]:
        print(f"seal does NOT hold: {result['problem']}")
        return 1
    st = result["statement"]
    print(
        f"seal holds: site {st.get('site_id')} ({st.get('site')}), {st.get('period')}, "
        f"version {st.get('version')}, head #{(st.get('head') or {}).get('seq')}, "
        f"approved by {st.get('approved_by')} at {st.get('approved_at')}, key {result['key_id']}"
    )
    return 0


def cmd_seals_public_key(args: argparse.Namespace) -> int:
    from market.seals import SealKeyError, load_or_create

    settings = _settings_of(args)
    try:
        print(load_or_create(settings.seal_key_path()).public_pem(), end="")
    except SealKeyError as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from web.server import HeaderTimeoutProtocol

    # read by each uvicorn worker process's Settings.from_env
    if args.job_processes is not None:
        os.environ["WASTEMATCH_JOB_PROCESSES"] = str(args.job_processes)
    if args.job_threads is not None:
        os.environ["WASTEMATCH_JOB_THREADS"] = str(args.job_threads)
    settings = _settings()
    _ready(settings.database_url)
    uvicorn.run(
        "web.asgi:app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("WASTEMATCH_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        log_config=None,
        http=HeaderTimeoutProtocol,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Job workers in a process of their own; SIGTERM or Ctrl-C stops them after their job."""
    import signal
    import threading

    import market.services.jobs  # noqa: F401 - the work's imports (the solver), before a job
    from market.db import Database
    from market.worker import Worker, parent_gone
    from web.logs import configure

    settings = _settings()
    _ready(settings.database_url)
    configure(os.environ.get("WASTEMATCH_LOG_LEVEL", "INFO"))
    db = Database(settings.database_url)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threads = [
        threading.Thread(
            target=Worker(db, settings, poll_s=args.poll).run,
            args=(stop,),
            name=f"job-worker-{n + 1}",
            daemon=True,
        )
        for n in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    print(f"wastematch worker: {args.threads} thread(s) on {settings.database_url.split('@')[-1]}")
    sys.stdout.flush()
    while any(t.is_alive() for t in threads):
        if parent_gone():
            stop.set()  # the app process that started this worker has died
        for thread in threads:
            thread.join(timeout=0.5)
    db.dispose()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import uvicorn

    from market.db import Database
    from market.migrate import upgrade
    from market.seed import seed_demo, sync_catalogue
    from market.services.matching import run_match
    from market.settings import DEMO_SECRET, demo_secret
    from web.app import create_app
    from web.logs import configure
    from web.server import HeaderTimeoutProtocol

    url = _sqlite_url(args.db) if args.db else DEMO_DB
    settings = _settings(demo=True, db=url)
    print(f"wastematch demo: database {url}")
    upgrade(url)
    if settings.secret_key == DEMO_SECRET:
        # one secret per demo database, not the published one (issue 10)
        settings = replace(settings, secret_key=demo_secret(url))
    db = Database(url)
    sync_catalogue(db)
    report = seed_demo(db, settings)
    print("demo data " + ("loaded" if report.created else "already present"))
    run = run_match(db, None, settings, trigger="demo")
    print(
        f"match run {run.id}: {run.status}, {run.totals.get('matched_t', 0):,.0f} t matched, "
        f"{run.totals.get('unmatched_t', 0):,.0f} t unmatched"
    )
    print(f"serving on http://{args.host}:{args.port}  (log in as producer-demo / demo-password)")
    if args.no_serve:
        db.dispose()
        return 0
    configure("INFO")
    uvicorn.run(
        create_app(settings, db),
        host=args.host,
        port=args.port,
        log_config=None,
        http=HeaderTimeoutProtocol,
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from market.backup import backup
    from market.errors import DomainError

    settings = _settings_of(args)
    try:
        pages = backup(settings.database_url, Path(args.output))
    except DomainError as exc:
        raise CliError(exc.message) from None
    print(f"backup written to {args.output} ({pages} pages)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from market.backup import restore
    from market.errors import DomainError

    settings = _settings_of(args)
    try:
        report = restore(Path(args.input), settings.database_url, force=args.force)
    except DomainError as exc:
        raise CliError(exc.message) from None
    print(
        f"restored {args.input}: SQLite integrity ok, {report['entries_checked']} ledger "
        f"entries in {report['sites_checked']} chains verified"
    )
    return 0


def cmd_mail_send_pending(args: argparse.Namespace) -> int:
    from market import mail

    settings = _settings_of(args)
    if not settings.smtp_url:
        raise CliError("WASTEMATCH_SMTP_URL: (unset); set smtp://host:port to send mail")
    with _database(settings, ready=False) as db:
        out = mail.send_all(db, settings)
        left = mail.pending_count(db)
    print(f"sent {out.sent}, kept for later {out.failed}, unsent in the outbox {left}")
    if out.error:
        print(f"wastematch: mail server: {out.error}", file=sys.stderr)
    return 1 if out.failed else 0


def cmd_match(args: argparse.Namespace) -> int:
    from matching.command import run

    return run(args.input, args.output, sys.stderr, sys.stdout)
