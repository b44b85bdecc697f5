"""Every action of the pages says what it did on the next page (web/flash.py)."""

from __future__ import annotations

import re
import string

from starlette.routing import Route

from web.flash import SAID
from web.i18n import gettext

# posts that answer on the page itself rather than redirecting: logging in and out, the
# password page (which says "changed" itself), the one-time password of a new user, and the
# regulator's analyses (the answer is the page)
ANSWERED_IN_PLACE = {
    "login",
    "logout",
    "password_page",
    "users_post",
    "siting_page",
    "verify_page",
    "preferences_page",  # says "saved" itself
    "notification_read",  # reading or opening a notification: the page opened is the answer
    "notification_open",
    # work handed to a worker: the job's page says what was started, how far it is, and its end
    "planner_post",
    "verify_job",
    "job_cancel",
    "ledger_export",  # a large export's button: the job's page, then its download link
}
PAGE_MODULES = (
    "pages",
    "market_pages",
    "trust_pages",
    "account_pages",
    "planning_pages",
    "regulator",
    "daily_pages",
    "papers_pages",
    "jobs_pages",
)


def test_every_form_or_button_of_the_pages_has_a_confirmation() -> None:
    import importlib

    routes = [r for m in PAGE_MODULES for r in importlib.import_module(f"web.{m}").routes()]
    posts = {r.name for r in routes if isinstance(r, Route) and "POST" in (r.methods or set())}
    assert posts
    missing = posts - set(SAID) - ANSWERED_IN_PLACE
    assert missing == set(), missing


def test_every_confirmation_is_in_chinese_with_the_same_placeholders() -> None:
    def names(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for said in SAID.values():
        for text in filter(None, (said.text, said.disputed)):
            zh = gettext(text, "zh")
            assert zh != text, text
            assert names(zh) == names(text), text
            assert re.search(r"[\u4e00-\u9fff]", zh)
