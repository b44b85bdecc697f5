"""A checkpoint (the heads of an earlier verify answer, kept outside the database) catches what
the chains alone cannot: a chain rewritten consistently, hashes and head recomputed, or cut short
with an older head put back. Tampering is done with raw SQL, on SQLite and PostgreSQL; and the
comparison is served over HTTP and on the regulator's verify page."""

from __future__ import annotations

import json
import re

import pytest

from market import audit
from market.errors import InvalidInput, NotAllowed
from market.services.users import create_token
from tests.support import builders as b
from tests.support.ledger import (
    FEBRUARY,
    JANUARY,
    SECOND_YARD,
    entries_of,
    post,
    post_all,
    raw,
    rehash_from,
    verified,
)
from tests.support.sessions import call, csrf_field, logged_in
from web.app import create_app


@pytest.fixture
def yards(db):
    """Two yards with five and two entries, and the regulator's checkpoint of them."""
    producer = b.actor(db, "producer")
    regulator = b.actor(db, "regulator")
    site = b.site(db, producer, b.ANNING)
    other = b.site(db, producer, b.JINNING)
    post_all(db, producer, site.id, JANUARY + FEBRUARY)
    post_all(db, producer, other.id, SECOND_YARD)
    with db.read_session() as s:
        checkpoint = audit.verify(s, regulator)
    assert checkpoint["ok"]
    # kept as a file is kept: through JSON
    checkpoint = json.loads(json.dumps(checkpoint))
    return {
        "site": site.id,
        "other": other.id,
        "producer": producer,
        "regulator": regulator,
        "checkpoint": checkpoint,
    }


def compare(db, who, checkpoint):
    with db.read_session() as s:
        return audit.compare_checkpoint(s, who, checkpoint)


def by_site(answer):
    return {r["site_id"]: r for r in answer["sites"]}


def test_an_untouched_ledger_is_unchanged_against_its_checkpoint(db, yards):
    answer = compare(db, yards["regulator"], yards["checkpoint"])
    assert answer["ok"] is True
    assert {r["status"] for r in answer["sites"]} == {"unchanged"}
    assert answer["counts"]["unchanged"] == 2
    assert answer["checkpoint"] == {
        "heads": 2,
        "fingerprint": yards["checkpoint"]["heads_fingerprint"],
    }
    assert answer["verification"]["ok"] is True


def test_entries_appended_since_the_checkpoint_are_extended_and_ok(db, yards):
    post(db, yards["producer"], yards["site"], "generation", 300, "2025-03-31")
    post(db, yards["producer"], yards["site"], "treatment", 20, "2025-03-31")
    answer = compare(db, yards["regulator"], yards["checkpoint"])
    assert answer["ok"] is True
    row = by_site(answer)[yards["site"]]
    assert (row["status"], row["checkpoint_seq"], row["head_seq"]) == ("extended", 5, 7)
    assert (
        row["message"] == f"site {yards['site']}: entries #6–#7 were appended after the checkpoint"
    )
    assert by_site(answer)[yards["other"]]["status"] == "unchanged"


def test_a_middle_entry_rewritten_with_every_later_hash_and_the_head_recomputed_is_caught(
    db, yards
):
    site = yards["site"]
    before = entries_of(db, site)[-1].hash
    rehash_from(db, site, 3, tonnes=5.0)
    assert verified(db, yards["regulator"])["ok"] is True  # the chains alone see nothing
    answer = compare(db, yards["regulator"], yards["checkpoint"])
    assert answer["ok"] is False
    assert answer["verification"]["ok"] is True
    row = by_site(answer)[site]
    now = entries_of(db, site)[-1].hash
    assert now != before
    assert (row["status"], row["checkpoint_seq"]) == ("rewritten", 5)
    assert (row["checkpoint_hash"], row["hash_at_seq"]) == (before, now)
    assert f"entry #5 now has hash {now}, the checkpoint says {before}" in row["message"]
    assert answer["counts"] | {"unchanged": 0} == dict.fromkeys(audit.CHECKPOINT_STATUSES, 0) | {
        "rewritten": 1
    }
    assert by_site(answer)[yards["other"]]["status"] == "unchanged"


def test_a_chain_cut_short_with_its_earlier_head_put_back_is_truncated(db, yards):
    site = yards["site"]
    entries = entries_of(db, site)
    raw(db, "DELETE FROM ledger_entry WHERE site_id = :site AND seq > 3", site=site)
    raw(
        db,
        "UPDATE ledger_head SET seq = 3, hash = :h WHERE site_id = :site",
        h=entries[2].hash,
        site=site,
    )
    assert verified(db, yards["regulator"])["ok"] is True
    answer = compare(db, yards["regulator"], yards["checkpoint"])
    assert answer["ok"] is False
    row = by_site(answer)[site]
    assert (row["status"], row["checkpoint_seq"], row["head_seq"], row["last_seq"]) == (
        "truncated",
        5,
        3,
        3,
    )
    assert row["message"] == f"site {site}: entry #5 is gone: the chain now ends at #3"


def test_a_yard_whose_entries_and_head_were_all_deleted_is_missing(db, yards):
    other = yards["other"]
    raw(db, "DELETE FROM ledger_entry WHERE site_id = :site", site=other)
    raw(db, "DELETE FROM ledger_head WHERE site_id = :site", site=other)
    assert verified(db, yards["regulator"])["ok"] is True
    answer = compare(db, yards["regulator"], yards["checkpoint"])
    assert answer["ok"] is False
    assert by_site(answer)[other]["status"] == "site_missing"
    assert answer["counts"]["site_missing"] == 1


def test_a_yard_new_since_the_checkpoint_is_listed_and_does_not_fail_it(db, yards):
    third = b.site(db, yards["producer"], b.QUJING)
    post(db, yards["producer"], third.id, "opening", 80, "2025-01-01")
    answer = compare(db, yards["regulator"], yards["checkpoint"]["heads"])
    assert answer["ok"] is True
    row = by_site(answer)[third.id]
    assert (row["status"], row["checkpoint_seq"], row["head_seq"]) == ("new", None, 1)


def test_a_break_the_chains_show_fails_the_comparison_too(db, yards):
    third = entries_of(db, yards["site"])[2]
    raw(db, "UPDATE ledger_entry SET tonnes = 5 WHERE id = :id", id=third.id)
    answer = compare(db, yards["regulator"], yards["checkpoint"])
    assert answer["ok"] is False
    assert {r["status"] for r in answer["sites"]} == {"unchanged"}
    assert answer["verification"]["breaks"][0]["seq"] == 3


def test_a_bad_checkpoint_is_refused_naming_the_path_and_the_value(db, yards):
    heads = yards["checkpoint"]["heads"]
    bad = [*heads, {"site_id": 99, "seq": 1, "hash": "zz"}]
    with pytest.raises(InvalidInput) as refused:
        compare(db, yards["regulator"], {"heads": bad})
    assert refused.value.message == "heads[2].hash: 'zz' is not 64 hex digits"
    assert refused.value.field == "heads[2].hash"


@pytest.mark.parametrize("role", ["producer", "recycler"])
def test_only_overseers_may_compare_a_checkpoint(db, yards, role):
    who = yards["producer"] if role == "producer" else b.actor(db, "recycler")
    with pytest.raises(NotAllowed):
        compare(db, who, yards["checkpoint"])
    # like the chain check itself, the platform's operator may run it too
    assert compare(db, b.actor(db, "operator"), yards["checkpoint"])["ok"] is True


# ----------------------------------------------------------------------------- over HTTP


def test_the_api_compares_a_whole_verify_answer_and_refuses_others_and_bad_bodies(
    db, yards, settings, monkeypatch
):
    site = yards["site"]
    rehash_from(db, site, 2, tonnes=150.0)
    with db.unit_of_work() as uow:
        regulator = {"Authorization": f"Bearer {create_token(uow, yards['regulator'])[1]}"}
    with db.unit_of_work() as uow:
        producer = {"Authorization": f"Bearer {create_token(uow, yards['producer'])[1]}"}
    url = "/api/v1/audit/verify/checkpoint"
    checkpoint = yards["checkpoint"]
    bad = {"heads": [{"site_id": 1, "seq": 1, "hash": "zz"}]}
    answers = call(
        create_app(settings, db),
        ("POST", url, {"json": checkpoint, "headers": regulator}),
        ("POST", url, {"json": checkpoint, "headers": producer}),
        ("POST", url, {"json": bad, "headers": regulator}),
        ("POST", url, {"content": b"[1, 2]", "headers": regulator}),
        ("POST", url + "?format=csv", {"json": checkpoint, "headers": regulator}),
        ("POST", url, {"json": checkpoint}),
    )
    ok, refused, invalid, not_an_object, no_csv, anonymous = answers
    assert ok.status_code == 200
    body = ok.json()
    assert body["ok"] is False
    assert body["verification"]["ok"] is True
    assert [(r["site_id"], r["status"], r["checkpoint_seq"]) for r in body["sites"]] == [
        (site, "rewritten", 5),
        (yards["other"], "unchanged", 2),
    ]
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert invalid.status_code == 422
    assert invalid.json()["error"] == {
        "code": "invalid",
        "message": "heads[0].hash: 'zz' is not 64 hex digits",
        "field": "heads[0].hash",
        "params": {"field": "heads[0].hash", "value": "zz"},
    }
    assert not_an_object.status_code == 400
    assert no_csv.status_code == 422 and "format" in no_csv.json()["error"]["message"]
    assert anonymous.status_code == 401

    monkeypatch.setattr("web.audit_api.MAX_CHECKPOINT_BODY", 100)
    (too_big,) = call(
        create_app(settings, db), ("POST", url, {"json": checkpoint, "headers": regulator})
    )
    assert too_big.status_code == 400
    assert too_big.json()["error"]["message"] == "body: more than 100 bytes"


def test_the_verify_page_refuses_an_unreadable_file_in_one_line_and_compares_a_good_one(
    db, yards, settings
):
    """A browser session: the login form, the verify page's upload form with its CSRF token."""
    app = create_app(settings, db)
    kept = json.dumps(yards["checkpoint"], ensure_ascii=False).encode("utf-8")

    client = logged_in(app, yards["regulator"].username)
    try:
        page = client.get("/audit/verify")
        form = re.search(r'<form[^>]*action="/audit/verify".*?</form>', page.text, re.S)[0]
        token = csrf_field(form)
        csv = {"checkpoint": ("verify.csv", b"site_id,seq\n1,2\n", "text/csv")}
        # a file saved by an editor that puts a byte-order mark first
        good = {"checkpoint": ("verify.json", b"\xef\xbb\xbf" + kept, "application/json")}
        not_json = client.post("/audit/verify", data={"csrf_token": token}, files=csv)
        no_file = client.post("/audit/verify", data={"csrf_token": token})
        no_token = client.post("/audit/verify", files=good)
        compared = client.post("/audit/verify", data={"csrf_token": token}, files=good)
    finally:
        client.close()
    assert page.status_code == 200
    assert 'type="file" name="checkpoint"' in page.text
    assert not_json.status_code == 422
    refusals = re.findall(
        r'<p class="error[^"]*"[^>]*data-checkpoint="refused">(.*?)</p>', not_json.text
    )
    assert refusals == [
        "文件未能读取: 文件（file）：不是有效的 JSON；"
        "请选择此前一次校验的 JSON 导出，而不是它的 CSV 或 Excel 导出"
    ]
    assert 'data-verify="ok"' in not_json.text  # the rest of the page is still there
    assert no_file.status_code == 422 and "文件（file）：未选择" in no_file.text
    assert no_token.status_code == 403 and "csrf_token" in no_token.text
    assert compared.status_code == 200
    assert 'data-checkpoint="ok"' in compared.text
    assert yards["checkpoint"]["heads_fingerprint"] in compared.text
