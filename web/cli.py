"""The `wastematch` command. Bad input: one line on standard error and exit status 2."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

EXIT_BAD_INPUT = 2

DESCRIPTION = """\
wastematch — Yunnan's industrial solid-waste marketplace (固废撮合).

Quick start:  wastematch demo          (SQLite, demo data, http://127.0.0.1:8000)
Production:   export WASTEMATCH_DATABASE_URL=postgresql+psycopg://user@host/db
              export WASTEMATCH_SECRET_KEY=...   (a long random value)
              wastematch db upgrade && wastematch serve --workers 4
"""

DEMO_DB = "sqlite:///wastematch-demo.db"


class CliError(Exception):
    """A problem the user can fix; printed as one line."""


def _settings(*, demo: bool = False, db: str | None = None):  # type: ignore[no-untyped-def]
    from market.settings import Settings, SettingsError

    try:
        settings = Settings.from_env(demo=demo)
    except SettingsError as exc:
        raise CliError(str(exc)) from None
    return settings.with_database(db) if db else settings


def _sqlite_url(value: str) -> str:
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from market.db import Database
    from market.migrate import upgrade
    from market.seed import sync_catalogue

    settings = _settings(demo=True, db=args.db and _sqlite_url(args.db))
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        changed = sync_catalogue(db)
    finally:
        db.dispose()
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
    from market.db import Database
    from market.seed import seed_demo

    settings = _settings(demo=True, db=args.db and _sqlite_url(args.db))
    _ready(settings.database_url)
    db = Database(settings.database_url)
    try:
        report = seed_demo(db, settings)
    finally:
        db.dispose()
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
    from market.db import Database
    from market.errors import DomainError
    from market.services.users import add_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CliError("password: the two entries differ")
    settings = _settings(demo=True)
    _ready(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as uow:
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
    finally:
        db.dispose()
    print(f"user {user.username} ({user.role}) added to {args.org}")
    return 0


def cmd_evaluators_link(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from market.db import Database
    from market.seed import link_evaluator
    from market.tables import Organisation

    settings = _settings(demo=True)
    _ready(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.unit_of_work() as uow:
            found = {}
            for flag, name, kind in (
                ("--evaluator-org", args.evaluator_org, "evaluator"),
                ("--producer-org", args.producer_org, "producer"),
            ):
                org = uow.session.exec(
                    select(Organisation).where(Organisation.name == name)
                ).first()
                if org is None or org.kind != kind:
                    what = "does not exist" if org is None else f"is a {org.kind} organisation"
                    raise CliError(f"{flag}: {name!r} {what}; name an organisation of kind {kind}")
                found[kind] = org.id
            link_evaluator(uow, found["evaluator"], found["producer"])
            uow.commit()
    finally:
        db.dispose()
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

    settings = _settings(demo=True, db=args.db and _sqlite_url(args.db))
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

    settings = _settings(demo=True, db=args.db and _sqlite_url(args.db))
    try:
        pages = backup(settings.database_url, Path(args.output))
    except DomainError as exc:
        raise CliError(exc.message) from None
    print(f"backup written to {args.output} ({pages} pages)")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from market.backup import restore
    from market.errors import DomainError

    settings = _settings(demo=True, db=args.db and _sqlite_url(args.db))
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
    from market.db import Database

    settings = _settings(demo=True, db=args.db and _sqlite_url(args.db))
    if not settings.smtp_url:
        raise CliError("WASTEMATCH_SMTP_URL: (unset); set smtp://host:port to send mail")
    db = Database(settings.database_url)
    try:
        out = mail.send_all(db, settings)
        left = mail.pending_count(db)
    finally:
        db.dispose()
    print(f"sent {out.sent}, kept for later {out.failed}, unsent in the outbox {left}")
    if out.error:
        print(f"wastematch: mail server: {out.error}", file=sys.stderr)
    return 1 if out.failed else 0


def cmd_match(args: argparse.Namespace) -> int:
    from matching.command import run

    return run(args.input, args.output, sys.stderr, sys.stdout)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wastematch",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="create or reuse a SQLite demo database, run a match, and serve the app",
        description="Creates (or reuses) a SQLite database with the illustrative demo data set, "
        "runs a match, and serves the web app. Log in as producer-demo, recycler-demo, "
        "regulator-demo or operator-demo with the password demo-password.",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--db", help=f"SQLite file or database URL (default {DEMO_DB})")
    demo.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser(
        "serve",
        help="serve the app on the configured database",
        description="Serves the app with uvicorn on WASTEMATCH_DATABASE_URL. Needs "
        "WASTEMATCH_SECRET_KEY and a database at the latest migration.",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve.add_argument(
        "--job-processes",
        type=int,
        default=None,
        help="job worker processes each server process starts (default 1, or "
        "WASTEMATCH_JOB_PROCESSES; 0 with --job-threads 0 leaves jobs to `wastematch worker`)",
    )
    serve.add_argument(
        "--job-threads",
        type=int,
        default=None,
        help="job worker threads inside each server process (default 0, or WASTEMATCH_JOB_THREADS)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser(
        "worker",
        help="run job workers (match runs, planner, siting, tamper check) in this process",
        description="Claims queued jobs from the configured database and runs them, as "
        "`wastematch serve` does in its own processes; run it beside `serve --job-threads 0` "
        "to keep the solver off the web processes. SIGTERM stops it after the job in hand.",
    )
    worker.add_argument("--threads", type=int, default=1, help="jobs run at once (default 1)")
    worker.add_argument(
        "--poll", type=float, default=1.0, help="seconds between looks at an empty queue"
    )
    worker.set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    up = db_sub.add_parser(
        "upgrade",
        help="apply migrations to the configured database",
        description="Applies every Alembic migration to WASTEMATCH_DATABASE_URL (or --db) and "
        "syncs the materials catalogue. Safe to run again.",
    )
    up.add_argument("--db", help="SQLite file or database URL (default: the configured one)")
    up.set_defaults(func=cmd_db_upgrade)

    seed = sub.add_parser(
        "seed",
        help="load the demo data set (idempotent)",
        description="Loads the illustrative demo data set; running it twice adds nothing.",
    )
    seed.add_argument("--demo", action="store_true", help="load the demo data set")
    seed.add_argument("--db", help="SQLite file or database URL (default: the configured one)")
    seed.set_defaults(func=cmd_seed)

    users = sub.add_parser("users", help="user accounts")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    add = users_sub.add_parser(
        "add",
        help="create a user",
        description="Creates a user in organisation ORG (created if new, of the role's kind). "
        "The password is asked for on a prompt, or read from standard input with "
        "--password-stdin.",
    )
    add.add_argument("--username", required=True)
    add.add_argument(
        "--role",
        required=True,
        choices=["producer", "recycler", "regulator", "operator", "evaluator"],
    )
    add.add_argument("--org", required=True, help="organisation name")
    add.add_argument("--email", help="the user's e-mail address (optional)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_users_add)

    ev = sub.add_parser("evaluators", help="third-party evaluators (第三方评价机构)")
    ev_sub = ev.add_subparsers(dest="evaluators_command", metavar="ACTION")
    link = ev_sub.add_parser(
        "link",
        help="say which producer an evaluator organisation evaluates",
        description="Links an evaluator organisation to a producer organisation: its users may "
        "then attest or reject that producer's own-use and treatment claims.",
    )
    link.add_argument("--evaluator-org", required=True, help="the evaluator organisation's name")
    link.add_argument("--producer-org", required=True, help="the producer organisation's name")
    link.set_defaults(func=cmd_evaluators_link)

    seals = sub.add_parser("seals", help="seals of approved months")
    seals_sub = seals.add_subparsers(dest="seals_command", metavar="ACTION")
    sv = seals_sub.add_parser(
        "verify",
        help="check an exported seal offline with only the public key",
        description="Checks the signature of a seal exported from GET /api/v1/reports/{id}/seal "
        "with the public key from GET /api/v1/audit/seal-key. No database is needed. Exit 0 "
        "when it holds, 1 when it does not, 2 for unreadable files.",
    )
    sv.add_argument("--public-key", required=True, help="the PEM public key file")
    sv.add_argument("--seal", required=True, help="the exported seal (JSON)")
    sv.set_defaults(func=cmd_seals_verify)
    pk = seals_sub.add_parser(
        "public-key",
        help="print the public key that seals approved months (made on first use)",
    )
    pk.add_argument("--db", help="SQLite file or URL (default: the configured database)")
    pk.set_defaults(func=cmd_seals_public_key)

    bk = sub.add_parser(
        "backup",
        help="copy the SQLite database while it runs (PostgreSQL: use pg_dump)",
        description="Writes a consistent copy of the configured SQLite database with SQLite's "
        "online-backup API; the app may keep running. For PostgreSQL use pg_dump -Fc "
        "(see the README).",
    )
    bk.add_argument("--output", required=True, help="the backup file to write (must not exist)")
    bk.add_argument("--db", help="SQLite file or URL (default: the configured database)")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser(
        "restore",
        help="check a SQLite backup and put it in place",
        description="Runs SQLite's integrity check and verifies every ledger hash chain of the "
        "backup, then replaces the configured SQLite database with it. Stop the app first.",
    )
    rs.add_argument("--input", required=True, help="the backup file")
    rs.add_argument("--db", help="SQLite file or URL (default: the configured database)")
    rs.add_argument("--force", action="store_true", help="replace an existing database")
    rs.set_defaults(func=cmd_restore)

    ml = sub.add_parser("mail", help="the outbox of notification mails")
    ml_sub = ml.add_subparsers(dest="mail_command", metavar="ACTION")
    sp = ml_sub.add_parser(
        "send-pending",
        help="send the mails that are due through WASTEMATCH_SMTP_URL",
        description="Sends every mail of the outbox that is due (the server's background sender "
        "does the same every few seconds). Exit 0 when all went, 1 when the mail server "
        "refused or did not answer (the mails stay in the outbox for a later try).",
    )
    sp.add_argument("--db", help="SQLite file or URL (default: the configured database)")
    sp.set_defaults(func=cmd_mail_send_pending)

    match = sub.add_parser(
        "match",
        help="solve one matching problem (JSON in, JSON out; no database)",
        description="Solves a matching problem (docs/matching-format.md) and writes the result. "
        "Exit 0 on success, 2 with a one-line message for bad input.",
    )
    match.add_argument("--input", required=True, help="problem JSON file (UTF-8, at most 200 MB)")
    match.add_argument("--output", required=True, help="result JSON file, or - for stdout")
    match.set_defaults(func=cmd_match)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return int(exc.code or 0) if exc.code not in (None, 0) else 0
    if not hasattr(args, "func"):
        p.print_help()
        return EXIT_BAD_INPUT if args.command is None else EXIT_BAD_INPUT
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"wastematch: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
