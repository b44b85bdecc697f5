"""Screenshots of the main marketplace pages, for the docs.

Starts `wastematch demo` on a temporary database (a fresh demo, or a copy of --db), drives
Debian's Chromium through Playwright as the demo users, and writes 1400x900 PNGs (and two at a
phone's 390 px) to docs/screenshots/. Chinese comes from the app's own web font, so a machine
without any CJK font takes the same pictures.

    .venv/bin/python scripts/screenshots.py [--db demo.db] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: E402 - the browser flags the tests use

PASSWORD = "demo-password"
VIEWPORT = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_sqlite(source: Path, target: Path) -> None:
    # the online-backup API also takes what is still in the -wal file; a file copy would not
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def start_demo(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "demo", "--db", str(db), "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"demo server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"demo server did not answer within 180 s: {log.read_text()[-2000:]}")


def session(browser: Browser, base: str, username: str) -> Page:
    context = browser.new_context(base_url=base, viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def fonts_ready(page: Page) -> None:
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(300)  # charts draw again once their pieces are in
    if not page.evaluate("document.fonts.check('16px \"Noto Sans SC Variable\"', '固废')"):
        raise SystemExit(f"{page.url}: the Chinese web font did not load")


def producer_lots(page: Page) -> None:
    page.goto("/my/lots")
    page.select_option("#lot-form select[name=material]", "phosphogypsum")
    page.locator("input[name='quality.caso4_2h2o_pct']").wait_for()
    page.fill("input[name=tonnes]", "30000")
    page.fill("input[name='quality.caso4_2h2o_pct']", "89.2")
    page.fill("input[name=asking_price_cny_t]", "-12")


def producer_lot_refused(page: Page) -> None:
    # the services refuse in English; the Chinese page shows the refusal translated, in place.
    # (A negative tonnage no longer reaches the server: the input's min stops it in the browser.
    # Dates in the wrong order are a rule only the service knows.)
    producer_lots(page)
    page.fill("input[name=available_from]", "2026-12-01")
    page.fill("input[name=available_until]", "2026-11-01")
    page.click("#lot-form button[type=submit]")
    page.locator("#lot-form .field-error").first.wait_for()
    page.evaluate("document.querySelector('#lot-form').scrollIntoView()")


def producer_lot_posted(page: Page) -> None:
    # after an action, the next page says what was done, with a link; prices say who pays whom
    producer_lots(page)
    page.click("#lot-form button[type=submit]")
    page.locator("p.flash").wait_for()


def lot_options(page: Page) -> None:
    page.goto("/lots/1")
    page.evaluate("document.querySelector('#lot-options').scrollIntoView()")


def recycler_proposals(page: Page) -> None:
    page.goto("/proposals")
    page.locator(".route-map[data-ready=true]").nth(1).wait_for()
    page.wait_for_timeout(1200)  # the route's arrow animation settles


def recycler_offers(page: Page) -> None:
    page.goto("/offers")
    page.select_option("#offer-form select[name=material]", "phosphogypsum")
    page.locator("select[name=use]").select_option("cement_retarder")
    page.locator("input[name='spec.caso4_2h2o_pct.min'][value='75']").wait_for()
    page.evaluate("document.querySelector('#offer-form').closest('section').scrollIntoView()")


def recycler_receipts_phone(page: Page) -> None:
    # the weighbridge, on a phone: 390 px wide, no sideways scroll
    page.set_viewport_size(PHONE)
    page.goto("/receipts")
    page.locator("main").wait_for()


def recycler_proposals_phone(page: Page) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/proposals")
    page.locator("form[id^='bid-']").first.scroll_into_view_if_needed()
    page.wait_for_timeout(800)


def operator_run(page: Page) -> None:
    page.goto("/match-runs")
    page.click("#runs-table tbody tr:first-child a")
    page.locator("#run-proposals").wait_for()


def operator_unmatched(page: Page) -> None:
    operator_run(page)
    page.evaluate("document.querySelector('#run-unmatched').scrollIntoView()")


def producer_ledger(page: Page) -> None:
    page.goto("/ledger")
    page.locator("#ledger-entries").wait_for()


def regulator_desk(page: Page) -> None:
    page.goto("/audit")
    page.locator("#audit-map[data-ready=true]").wait_for()
    page.locator("#drawdown-chart[data-ready=true]").wait_for()
    page.wait_for_timeout(800)


def table_page(name: str, path: str) -> Callable[[Page], None]:
    """The step `name` (for --only): the page at `path` once its first table is there."""

    def shot(page: Page) -> None:
        page.goto(path)
        page.locator("table").first.wait_for()

    shot.__name__ = name
    return shot


def regulator_planner(page: Page) -> None:
    page.goto("/audit/planner?horizon_months=36&materials=phosphogypsum&materials=red_mud")
    page.locator("#planner [data-ready=true]").first.wait_for()
    page.wait_for_timeout(800)


def regulator_siting(page: Page) -> None:
    page.goto("/audit/siting")
    page.fill("textarea[name=candidates]", "")
    page.select_option("select[name=source]", "stock")
    page.click("form.siting-form button[type=submit]")
    page.locator("#siting [data-ready=true]").first.wait_for()
    page.evaluate("document.querySelector('#siting').scrollIntoView()")
    page.wait_for_timeout(800)


CHECKPOINT: dict[str, object] = {}


def regulator_checkpoint_taken(page: Page) -> None:
    # what a regulator keeps: the JSON export of today's tamper check
    answer = page.request.get("/api/v1/audit/verify?format=json")
    CHECKPOINT["json"] = answer.body()


def producer_records_generation(page: Page) -> None:
    # after the checkpoint, the producer records a month's generation through the API
    token = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    yard = page.request.get("/api/v1/sites?kind=yard").json()["sites"][0]
    answer = page.request.post(
        f"/api/v1/sites/{yard['id']}/ledger",
        data={
            "kind": "generation",
            "material": "phosphogypsum",
            "tonnes": 1250,
            "occurred_on": time.strftime("%Y-%m-%d"),
            "document": "月报-示例",
        },
        headers={"x-csrf-token": token},
    )
    if answer.status not in (200, 201):
        raise SystemExit(f"recording generation failed: {answer.status} {answer.text()}")


def regulator_checkpoint_compared(page: Page) -> None:
    page.goto("/audit/verify")
    page.set_input_files(
        "input[name=checkpoint]",
        files=[
            {
                "name": "checkpoint.json",
                "mimeType": "application/json",
                "buffer": CHECKPOINT["json"],
            }
        ],
    )
    page.click("form[action='/audit/verify'] button[type=submit]")
    page.locator("[data-checkpoint]").first.wait_for()
    page.evaluate("document.querySelector('[data-checkpoint]').scrollIntoView()")


def regulator_review(page: Page) -> None:
    page.goto("/review/reports")
    page.locator("a[href^='/review/reports/']").first.click()
    page.locator("form[action$='/approve']").first.wait_for()


OUT: dict[str, Path] = {}


def producer_statutory(page: Page) -> None:
    """The printable 台账 of the demo producer's first yard for last year."""
    page.goto("/ledger")
    site = page.locator("#ledger-site").input_value()
    year = int(page.evaluate("new Date().getFullYear()")) - 1
    page.goto(f"/yards/{site}/statutory?year={year}")
    page.locator("#table-flows").wait_for()
    # a machine without a Chinese system font draws boxes: use the app's own PDF font here
    page.evaluate(
        """async () => {
            const url = "url(/static/vendor/WastematchSansSC-Regular.ttf)";
            const face = new FontFace("WastematchSans", url);
            document.fonts.add(await face.load());
            document.documentElement.style.fontFamily = "WastematchSans, sans-serif";
            for (const el of document.querySelectorAll("input, select, button"))
                el.style.fontFamily = "WastematchSans, sans-serif";
        }"""
    )


def producer_manifest(page: Page) -> None:
    """The first page of a transfer manifest PDF, rendered to a picture (Chromium's headless
    mode shows no PDF): the producer's copy, with its QR code."""
    import pypdfium2

    contracts = page.request.get("/api/v1/contracts").json()["contracts"]
    contract = page.request.get(f"/api/v1/contracts/{contracts[0]['id']}").json()
    delivery = contract["deliveries"][0]["id"]
    pdf = page.request.get(f"/api/v1/deliveries/{delivery}/manifest.pdf").body()
    doc = pypdfium2.PdfDocument(pdf)
    doc[0].render(scale=1.6).to_pil().save(OUT["dir"] / "producer-manifest.png")
    print(OUT["dir"] / "producer-manifest.png")


SHOTS: list[tuple[str, str, Callable[[Page], None]]] = [
    ("producer-lots.png", "producer-demo", producer_lots),
    ("producer-lot-refused.png", "producer-demo", producer_lot_refused),
    ("producer-lot-posted.png", "producer-demo", producer_lot_posted),
    ("producer-lot-options.png", "producer-demo", lot_options),
    ("producer-ledger.png", "producer-demo", producer_ledger),
    ("recycler-proposals.png", "recycler-demo", recycler_proposals),
    ("recycler-offers.png", "recycler-demo", recycler_offers),
    ("recycler-proposals-phone.png", "recycler-demo", recycler_proposals_phone),
    ("recycler-receipts-phone.png", "recycler-demo", recycler_receipts_phone),
    ("operator-match-run.png", "operator-demo", operator_run),
    ("operator-match-run-unmatched.png", "operator-demo", operator_unmatched),
    ("regulator-desk.png", "regulator-demo", regulator_desk),
    (
        "regulator-phosphogypsum.png",
        "regulator-demo",
        table_page("regulator_phosphogypsum", "/audit/phosphogypsum"),
    ),
    ("producer-months.png", "producer-demo", table_page("producer_months", "/reports")),
    (
        "regulator-review-queue.png",
        "regulator-demo",
        table_page("regulator_review_queue", "/review/reports"),
    ),
    ("regulator-review.png", "regulator-demo", regulator_review),
    ("evaluator-claims.png", "evaluator-demo", table_page("evaluator_claims", "/review/claims")),
    ("regulator-planner.png", "regulator-demo", regulator_planner),
    ("regulator-siting.png", "regulator-demo", regulator_siting),
    ("", "regulator-demo", regulator_checkpoint_taken),
    ("", "producer-demo", producer_records_generation),
    ("regulator-verify-checkpoint.png", "regulator-demo", regulator_checkpoint_compared),
    ("producer-statutory-ledger.png", "producer-demo", producer_statutory),
    ("", "producer-demo", producer_manifest),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a demo SQLite database to copy (default: fresh)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument(
        "--only", action="append", help="a step's function name (repeatable); default: all"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    OUT["dir"] = args.out
    with tempfile.TemporaryDirectory(prefix="wastematch-shots-") as tmp:
        db = Path(tmp) / "demo.db"
        if args.db:
            copy_sqlite(args.db, db)
        port = free_port()
        server = start_demo(db, port, Path(tmp) / "server.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                pages: dict[str, Page] = {}
                for name, user, prepare in SHOTS:
                    if args.only and prepare.__name__ not in args.only:
                        continue
                    if user not in pages:
                        pages[user] = session(browser, f"http://127.0.0.1:{port}", user)
                    pages[user].set_viewport_size(VIEWPORT)
                    prepare(pages[user])
                    if name:  # steps without a name only set the scene
                        # the app's own Chinese font (this machine may have none): wait for
                        # its pieces, and check that Chinese is not drawn as boxes
                        fonts_ready(pages[user])
                        pages[user].screenshot(path=args.out / name)
                        print(args.out / name)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
