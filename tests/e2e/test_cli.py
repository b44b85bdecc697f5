"""The `wastematch` console command, run as a user runs it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.live import SECRET
from tests.support.problems import contract_example

WASTEMATCH = str(Path(sys.executable).with_name("wastematch"))
TABLES = (
    "organisation",
    "users",
    "site",
    "lot",
    "offer",
    "ledger_entry",
    "delivery",
    "contract",
    # evidence files, reporting months and their seals travel with the backup
    "document",
    "report",
    "seal",
    "attestation",
    "correction_request",
)


def run(*args: str, db: str | None = None, stdin: str | None = None, secret: bool = True):
    env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    if db:
        env["WASTEMATCH_DATABASE_URL"] = db
    if secret:
        env["WASTEMATCH_SECRET_KEY"] = SECRET
    return subprocess.run(
        [WASTEMATCH, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES}


def test_help_explains_every_command():
    out = run("--help")
    assert out.returncode == 0
    for command in ("demo", "serve", "db", "seed", "users", "match"):
        assert command in out.stdout


def test_seeding_the_demo_twice_adds_nothing(demo_sqlite_template, tmp_path):
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_sqlite_template, path)
    before = counts(path)
    out = run("seed", "--demo", db=f"sqlite:///{path}")
    assert out.returncode == 0, out.stderr
    assert "nothing added" in out.stdout
    assert counts(path) == before
    assert before["ledger_entry"] > 1000 and before["lot"] >= 20


def test_a_database_not_seeded_has_no_demo_accounts(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert run("db", "upgrade", db=url).returncode == 0
    with sqlite3.connect(tmp_path / "empty.db") as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_users_add_takes_the_password_on_stdin_and_refuses_a_duplicate(tmp_path):
    url = f"sqlite:///{tmp_path / 'u.db'}"
    run("db", "upgrade", db=url)
    args = (
        "users",
        "add",
        "--username",
        "li.ming",
        "--role",
        "producer",
        "--org",
        "宣威电厂",
        "--password-stdin",
    )
    first = run(*args, db=url, stdin="correct horse battery\n")
    assert first.returncode == 0, first.stderr
    again = run(*args, db=url, stdin="correct horse battery\n")
    assert again.returncode == 2
    assert again.stderr.strip() == "wastematch: username: 'li.ming' is taken"
    short = run(
        "users",
        "add",
        "--username",
        "w",
        "--role",
        "producer",
        "--org",
        "x",
        "--password-stdin",
        db=url,
        stdin="short\n",
    )
    assert short.returncode == 2 and len(short.stderr.strip().splitlines()) == 1


def test_serve_refuses_to_start_without_a_real_secret(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    out = run("serve", "--port", "1", db=url, secret=False)
    assert out.returncode == 2
    assert out.stderr.startswith("wastematch: WASTEMATCH_SECRET_KEY: '(unset)' is not a secret")


def test_serve_refuses_a_database_that_was_not_upgraded(tmp_path):
    out = run("serve", "--port", "1", db=f"sqlite:///{tmp_path / 'new.db'}")
    assert out.returncode == 2 and "run `wastematch db upgrade` first" in out.stderr


@pytest.fixture
def problem(tmp_path) -> Path:
    """The example problem of docs/matching-format.md, in a file."""
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(contract_example()))
    return path


def test_match_solves_a_problem_file_without_a_database(problem, tmp_path):
    out_path = tmp_path / "result.json"
    out = run("match", "--input", str(problem), "--output", str(out_path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out_path.read_text())
    assert result["status"] == "optimal"
    assert result["matches"][0]["tonnes"] == 40000


def test_match_refuses_bad_input_in_one_line_and_writes_nothing(problem, tmp_path):
    data = json.loads(problem.read_text())
    data["lots"][0]["tonnes"] = -5
    problem.write_text(json.dumps(data))
    out_path = tmp_path / "result.json"
    out = run("match", "--input", str(problem), "--output", str(out_path))
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "lots[0].tonnes" in out.stderr
    assert not out_path.exists()


def test_a_backup_restores_and_verifies(demo_sqlite_template, tmp_path):
    live = tmp_path / "live.db"
    shutil.copyfile(demo_sqlite_template, live)
    backup = tmp_path / "backups" / "2026-11-23.db"
    out = run("backup", "--output", str(backup), db=f"sqlite:///{live}")
    assert out.returncode == 0, out.stderr
    restored = tmp_path / "restored.db"
    out = run("restore", "--input", str(backup), db=f"sqlite:///{restored}")
    assert out.returncode == 0, out.stderr
    assert "ledger entries" in out.stdout and "verified" in out.stdout
    assert counts(restored) == counts(live)
    again = run("restore", "--input", str(backup), db=f"sqlite:///{restored}")
    assert again.returncode == 2 and "--force" in again.stderr


def test_a_tampered_backup_is_refused(demo_sqlite_template, tmp_path):
    bad = tmp_path / "bad.db"
    shutil.copyfile(demo_sqlite_template, bad)
    conn = sqlite3.connect(bad)
    with conn:
        conn.execute("UPDATE ledger_entry SET tonnes = tonnes + 1 WHERE id = 5")
    # the change may still sit in bad.db-wal: the restore must see it all the same
    out = run("restore", "--input", str(bad), db=f"sqlite:///{tmp_path / 'r.db'}")
    assert out.returncode == 2
    conn.close()
    assert "broken ledger chain" in out.stderr and "altered" in out.stderr
    assert not (tmp_path / "r.db").exists()


def test_backup_of_postgresql_points_to_pg_dump():
    out = run("backup", "--output", "/tmp/x.db", db="postgresql+psycopg://u@127.0.0.1/x")
    assert out.returncode == 2 and "pg_dump" in out.stderr


def test_an_evaluator_is_linked_to_a_producer_by_name(demo_sqlite_template, tmp_path):
    live = tmp_path / "live.db"
    shutil.copyfile(demo_sqlite_template, live)
    db = f"sqlite:///{live}"
    out = run(
        "users",
        "add",
        "--username",
        "eval-2",
        "--role",
        "evaluator",
        "--org",
        "评价机构乙",
        "--password-stdin",
        db=db,
        stdin="a-long-password\n",
    )
    assert out.returncode == 0, out.stderr
    out = run(
        "evaluators",
        "link",
        "--evaluator-org",
        "评价机构乙",
        "--producer-org",
        "安宁湿法磷酸厂（示例）",
        db=db,
    )
    assert out.returncode == 0 and "now evaluates" in out.stdout, out.stderr
    wrong = run(
        "evaluators",
        "link",
        "--evaluator-org",
        "安宁湿法磷酸厂（示例）",
        "--producer-org",
        "安宁湿法磷酸厂（示例）",
        db=db,
    )
    assert wrong.returncode == 2
    assert wrong.stderr.strip().endswith(
        "is a producer organisation; name an organisation of kind evaluator"
    )


def test_the_public_seal_key_is_printed_and_made_beside_the_database(tmp_path):
    db = f"sqlite:///{tmp_path / 'k.db'}"
    out = run("seals", "public-key", db=db)
    assert out.returncode == 0 and out.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    assert (tmp_path / "k.db.seal-key.pem").exists()
    assert run("seals", "public-key", db=db).stdout == out.stdout
