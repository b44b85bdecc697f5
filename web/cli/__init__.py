"""The `wastematch` command. Bad input: one line on standard error and exit status 2.

Each command is a row of `COMMANDS` (its words, help, description and arguments); what it does
is a function of `web.cli.commands`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from web.cli import commands as do
from web.cli.commands import DEMO_DB, CliError

__all__ = ["DEMO_DB", "EXIT_BAD_INPUT", "CliError", "main", "parser"]

EXIT_BAD_INPUT = 2

DESCRIPTION = """\
wastematch — Yunnan's industrial solid-waste marketplace (固废撮合).

Quick start:  wastematch demo          (SQLite, demo data, http://127.0.0.1:8000)
Production:   export WASTEMATCH_DATABASE_URL=postgresql+psycopg://user@host/db
              export WASTEMATCH_SECRET_KEY=...   (a long random value)
              wastematch db upgrade && wastematch serve --workers 4
"""

Arg = tuple[tuple[str, ...], dict[str, Any]]
"""An `add_argument` call: its flags and its options (argparse's own keywords)."""


def arg(*flags: str, **options: Any) -> Arg:
    return flags, options


HOST = arg("--host", default="127.0.0.1")
PORT = arg("--port", type=int, default=8000)
DB = arg("--db", help="SQLite file or database URL (default: the configured one)")
DB_FILE = arg("--db", help="SQLite file or URL (default: the configured database)")


@dataclass(frozen=True)
class Command:
    name: str
    run: Callable[[argparse.Namespace], int]
    help: str
    description: str | None = None
    args: tuple[Arg, ...] = ()


@dataclass(frozen=True)
class Group:
    """A command of several actions (`wastematch db upgrade`)."""

    name: str
    help: str
    actions: tuple[Command, ...]


COMMANDS: tuple[Command | Group, ...] = (
    Command(
        "demo",
        do.cmd_demo,
        "create or reuse a SQLite demo database, run a match, and serve the app",
        "Creates (or reuses) a SQLite database with the illustrative demo data set, "
        "runs a match, and serves the web app. Log in as producer-demo, recycler-demo, "
        "regulator-demo or operator-demo with the password demo-password.",
        (
            HOST,
            PORT,
            arg("--db", help=f"SQLite file or database URL (default {DEMO_DB})"),
            arg("--no-serve", action="store_true", help="prepare everything, then exit"),
        ),
    ),
    Command(
        "serve",
        do.cmd_serve,
        "serve the app on the configured database",
        "Serves the app with uvicorn on WASTEMATCH_DATABASE_URL. Needs "
        "WASTEMATCH_SECRET_KEY and a database at the latest migration.",
        (
            HOST,
            PORT,
            arg("--workers", type=int, default=1, help="uvicorn worker processes"),
            arg(
                "--job-processes",
                type=int,
                default=None,
                help="job worker processes each server process starts (default 1, or "
                "WASTEMATCH_JOB_PROCESSES; 0 with --job-threads 0 leaves jobs to "
                "`wastematch worker`)",
            ),
            arg(
                "--job-threads",
                type=int,
                default=None,
                help="job worker threads inside each server process (default 0, or "
                "WASTEMATCH_JOB_THREADS)",
            ),
        ),
    ),
    Command(
        "worker",
        do.cmd_worker,
        "run job workers (match runs, planner, siting, tamper check) in this process",
        "Claims queued jobs from the configured database and runs them, as "
        "`wastematch serve` does in its own processes; run it beside `serve --job-threads 0` "
        "to keep the solver off the web processes. SIGTERM stops it after the job in hand.",
        (
            arg("--threads", type=int, default=1, help="jobs run at once (default 1)"),
            arg("--poll", type=float, default=1.0, help="seconds between looks at an empty queue"),
        ),
    ),
    Group(
        "db",
        "database schema",
        (
            Command(
                "upgrade",
                do.cmd_db_upgrade,
                "apply migrations to the configured database",
                "Applies every Alembic migration to WASTEMATCH_DATABASE_URL (or --db) and "
                "syncs the materials catalogue. Safe to run again.",
                (DB,),
            ),
        ),
    ),
    Command(
        "seed",
        do.cmd_seed,
        "load the demo data set (idempotent)",
        "Loads the illustrative demo data set; running it twice adds nothing.",
        (arg("--demo", action="store_true", help="load the demo data set"), DB),
    ),
    Group(
        "users",
        "user accounts",
        (
            Command(
                "add",
                do.cmd_users_add,
                "create a user",
                "Creates a user in organisation ORG (created if new, of the role's kind). "
                "The password is asked for on a prompt, or read from standard input with "
                "--password-stdin.",
                (
                    arg("--username", required=True),
                    arg(
                        "--role",
                        required=True,
                        choices=["producer", "recycler", "regulator", "operator", "evaluator"],
                    ),
                    arg("--org", required=True, help="organisation name"),
                    arg("--email", help="the user's e-mail address (optional)"),
                    arg(
                        "--password-stdin", action="store_true", help="read the password from stdin"
                    ),
                ),
            ),
        ),
    ),
    Group(
        "evaluators",
        "third-party evaluators (第三方评价机构)",
        (
            Command(
                "link",
                do.cmd_evaluators_link,
                "say which producer an evaluator organisation evaluates",
                "Links an evaluator organisation to a producer organisation: its users may "
                "then attest or reject that producer's own-use and treatment claims.",
                (
                    arg("--evaluator-org", required=True, help="the evaluator organisation's name"),
                    arg("--producer-org", required=True, help="the producer organisation's name"),
                ),
            ),
        ),
    ),
    Group(
        "seals",
        "seals of approved months",
        (
            Command(
                "verify",
                do.cmd_seals_verify,
                "check an exported seal offline with only the public key",
                "Checks the signature of a seal exported from GET /api/v1/reports/{id}/seal "
                "with the public key from GET /api/v1/audit/seal-key. No database is needed. "
                "Exit 0 when it holds, 1 when it does not, 2 for unreadable files.",
                (
                    arg("--public-key", required=True, help="the PEM public key file"),
                    arg("--seal", required=True, help="the exported seal (JSON)"),
                ),
            ),
            Command(
                "public-key",
                do.cmd_seals_public_key,
                "print the public key that seals approved months (made on first use)",
                args=(DB_FILE,),
            ),
        ),
    ),
    Command(
        "backup",
        do.cmd_backup,
        "copy the SQLite database while it runs (PostgreSQL: use pg_dump)",
        "Writes a consistent copy of the configured SQLite database with SQLite's "
        "online-backup API; the app may keep running. For PostgreSQL use pg_dump -Fc "
        "(see the README).",
        (arg("--output", required=True, help="the backup file to write (must not exist)"), DB_FILE),
    ),
    Command(
        "restore",
        do.cmd_restore,
        "check a SQLite backup and put it in place",
        "Runs SQLite's integrity check and verifies every ledger hash chain of the "
        "backup, then replaces the configured SQLite database with it. Stop the app first.",
        (
            arg("--input", required=True, help="the backup file"),
            DB_FILE,
            arg("--force", action="store_true", help="replace an existing database"),
        ),
    ),
    Group(
        "mail",
        "the outbox of notification mails",
        (
            Command(
                "send-pending",
                do.cmd_mail_send_pending,
                "send the mails that are due through WASTEMATCH_SMTP_URL",
                "Sends every mail of the outbox that is due (the server's background sender "
                "does the same every few seconds). Exit 0 when all went, 1 when the mail server "
                "refused or did not answer (the mails stay in the outbox for a later try).",
                (DB_FILE,),
            ),
        ),
    ),
    Command(
        "match",
        do.cmd_match,
        "solve one matching problem (JSON in, JSON out; no database)",
        "Solves a matching problem (docs/matching-format.md) and writes the result. "
        "Exit 0 on success, 2 with a one-line message for bad input.",
        (
            arg("--input", required=True, help="problem JSON file (UTF-8, at most 200 MB)"),
            arg("--output", required=True, help="result JSON file, or - for stdout"),
        ),
    ),
)


def _add(sub: Any, command: Command) -> None:
    """`sub` is argparse's (private) subparsers action."""
    p = sub.add_parser(command.name, help=command.help, description=command.description)
    for flags, options in command.args:
        p.add_argument(*flags, **options)
    p.set_defaults(func=command.run)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="wastematch",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        if isinstance(command, Command):
            _add(sub, command)
            continue
        group = sub.add_parser(command.name, help=command.help)
        actions = group.add_subparsers(dest=f"{command.name}_command", metavar="ACTION")
        for action in command.actions:
            _add(actions, action)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return int(exc.code or 0) if exc.code not in (None, 0) else 0
    if not hasattr(args, "func"):
        p.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"wastematch: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
