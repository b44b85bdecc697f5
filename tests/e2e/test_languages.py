"""Every page of every demo role, walked over HTTP in Chinese and in English (no browser): a
Chinese page shows no English word and an English page no Chinese, beyond a short explicit list.

The walk follows the links each page offers, from the role's home page, one visit per path."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from market.catalogue import catalogue
from tests.support.live import DEMO_PASSWORD
from tests.support.sessions import csrf_field

ROLES = ("producer-demo", "recycler-demo", "regulator-demo", "operator-demo", "evaluator-demo")
MAX_PAGES = 80
SKIP = re.compile(r"^/(api/|static/|logout|lang/|healthz)|\.(csv|xlsx|json|pdf|png|jpe?g)$")

# Latin words a Chinese page may show (besides DATA_TEXT, codes in <code> and translate="no").
ZH_PAGE_ALLOWS = {
    # units and symbols (single letters are symbols too: P × r, grade A)
    *("km", "CO", "ms", "MB", "II", "pH", "mg", "kg", "Zn", "Pb", "As", "Cd", "IRa", "Iγ"),
    # chemical formulas as the pages write them (web/format.py)
    *("P₂O₅", "CO₂", "SO₃", "Al₂O₃", "Fe₂O₃", "SiO₂", "Na₂O", "K₂O", "CaO", "MgO", "TiO₂"),
    # formats and standards' prefixes
    *("GB", "HJ", "JC", "CSV", "Excel", "XLSX", "JSON", "GeoJSON", "PDF", "JPEG", "PNG", "API"),
    # the language switch names the other language in its own words
    "English",
}
# Chinese an English page may show (besides DATA_TEXT): the policy's own name, 以用定产, which the
# English UI keeps as a term, and the language switch.
EN_PAGE_ALLOWS = re.compile(r"以用定产|中文")


class Text(HTMLParser):
    """The text a person reads: text nodes and the attributes shown as text, not scripts."""

    SHOWN = ("placeholder", "title", "aria-label", "alt")
    OPAQUE = ("script", "style", "template", "code", "kbd", "samp")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._skip = 0
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # scripts, and codes (`<code>caso4_2h2o_pct</code>`, `translate="no"`: ids, hashes,
        # usernames) are not prose in either language
        if tag in self.OPAQUE or values.get("translate") == "no":
            self._open.append(tag)
            self._skip += 1
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        for name in self.SHOWN:
            if values.get(name) and not self._skip:
                self.parts.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def logged_in(base: str, username: str, lang: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    page = client.get("/login")
    token = csrf_field(page.text)
    client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token, "next": "/"},
    )
    client.cookies.set("lang", lang)
    return client


def walk(client: httpx.Client) -> dict[str, str]:
    """Path → the text of that page, for every page reachable from the home page."""
    seen: dict[str, str] = {}
    queue = ["/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen or SKIP.search(path):
            continue
        answer = client.get(url)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        parser = Text()
        parser.feed(answer.text)
        seen[path] = " ".join(parser.parts)
        for href in parser.links:
            target = urljoin(str(answer.url), href)
            if urlsplit(target).netloc == urlsplit(str(answer.url)).netloc:
                queue.append(urlsplit(target)._replace(scheme="", netloc="").geturl())
    return seen


def summary(leaks: dict[str, dict[str, int]]) -> str:
    """Each leaked word with how often and the first pages it is on."""
    where: dict[str, list[str]] = {}
    total: Counter[str] = Counter()
    for path, words in leaks.items():
        for word, n in words.items():
            where.setdefault(word, []).append(path)
            total[word] += n
    return "\n".join(f"{w!r} ×{n}: {', '.join(where[w][:3])}" for w, n in total.most_common())


CODE_BESIDE = re.compile(r"（[A-Za-z0-9_.\[\]' ]+）")
"""`吨数（tonnes）`, `已拒绝（rejected）`: a code kept beside its Chinese name, by design."""


def english_words(text: str) -> list[str]:
    """Words in Latin letters alone: a token with a digit, `_`, `.`, `-` or `/` is a code, a hash,
    a number, a manifest or a path (`caso4_2h2o_pct`, `YN-2026-0001`, `GB/T`), not a word."""
    out = []
    text = CODE_BESIDE.sub(" ", text)
    for token in re.split(r"[\s,;:()（）、，。：；“”\"'\[\]{}<>=+*|·—–…%]+", text):
        if not token or re.search(r"[\d_./\-@#&]", token) or not re.search("[A-Za-z]", token):
            continue
        word = re.sub(r"[^A-Za-z₀-₉γ]", "", token)
        if len(word) > 1 and word not in ZH_PAGE_ALLOWS:
            out.append(word)
    return out


def chinese_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\u4e00-\u9fff]+", EN_PAGE_ALLOWS.sub(" ", text))]


# Free text the records hold as people (or the market, in the hash-chained ledger) wrote it: shown
# as written in either language, like the names of companies, sites and places.
DATA_TEXT = {
    "organisation": ("name",),
    "site": ("name", "prefecture", "county"),
    "users": ("username",),
    "lot": ("lab_report",),
    "delivery": ("manifest_no", "truck_plate", "note"),
    "delivery_papers": ("driver",),
    "ledger_entry": ("document",),
    "report": ("note",),
    "report_event": ("note",),
    "correction_request": ("reason", "decision_note"),
    "attestation": ("note",),
    "settlement": ("note",),
    "document": ("filename",),
}


@pytest.fixture(scope="module")
def data_texts(live_server) -> list[str]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(live_server.database_url)
    texts: set[str] = set()
    with engine.connect() as c:
        for table, columns in DATA_TEXT.items():
            for column in columns:
                try:
                    rows = c.execute(sqlalchemy.text(f'select "{column}" from "{table}"'))
                except sqlalchemy.exc.SQLAlchemyError:
                    continue
                texts |= {str(v).strip() for (v,) in rows if v and str(v).strip()}
    engine.dispose()
    # the catalogue's references to its standards, written as the standards are cited
    cat = catalogue()
    texts |= {p.standard for p in cat.parameters.values() if p.standard}
    texts |= {u.standard for m in cat.materials.values() for u in m.uses if u.standard}
    return sorted(texts, key=len, reverse=True)


def without(text: str, texts: list[str]) -> str:
    for shown in texts:
        text = text.replace(shown, " ")
    return text


def leaks(
    server: Any, username: str, lang: str, foreign: Any, data_texts: Any
) -> dict[str, dict[str, int]]:
    """Per page the user sees in `lang`, the words of the other language (`foreign` finds them)
    outside the data shown; pages with none are left out."""
    client = logged_in(server.url, username, lang)
    try:
        pages = walk(client)
    finally:
        client.close()
    assert len(pages) > 3, pages.keys()
    found = {path: Counter(foreign(without(text, data_texts))) for path, text in pages.items()}
    return {path: dict(words) for path, words in found.items() if words}


@pytest.mark.parametrize("username", ROLES)
def test_every_chinese_page_of_a_role_shows_no_english(live_server, username, data_texts):
    found = leaks(live_server, username, "zh", english_words, data_texts)
    assert not found, summary(found)


@pytest.mark.parametrize("username", ROLES)
def test_every_english_page_of_a_role_shows_no_chinese(live_server, username, data_texts):
    found = leaks(live_server, username, "en", chinese_words, data_texts)
    assert not found, summary(found)
