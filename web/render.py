"""Rendering: one URL serves the whole page, or for an htmx request just the named block."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from jinja2_fragments.starlette import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import Response

from web import flash, i18n
from web import format as fmt
from web.i18n import pick_lang
from web.security import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"


def make_templates() -> Jinja2Blocks:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # `_("English")`, `gettext`, `pgettext` and `{% trans %}` in the page's language (its
    # context's `lang`); old-style callables: a translation is escaped like any other text.
    # the i18n extension adds this method at run time, so Environment's type does not know it
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, newstyle=False
    )
    env.filters["num"] = fmt.number  # one way to write a number (web/format.py)
    env.filters["tojson_compact"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True)
    env.filters["reason"] = _reason
    env.filters["name"] = _name
    env.globals["pct"] = _pct
    env.globals["path_for"] = _path_for
    fmt.install(env)
    return Jinja2Blocks(env=env)


@pass_context
def _name(context: Context, item: Any) -> str:
    """`{{ m | name }}`: a catalogue entry's own name in the page's language."""
    return i18n.name_of(item, context.get("lang", "en"))


@pass_context
def _gettext(context: Context, text: str) -> str:
    # every interface text, with its formulas written properly (P₂O₅, CO₂)
    return fmt.chem(i18n.gettext(text, context.get("lang", "en")))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.gettext(singular if n == 1 else plural, context.get("lang", "en"))


@pass_context
def _pgettext(context: Context, ctx: str, text: str) -> str:
    return i18n.pgettext(ctx, text, context.get("lang", "en"))


@pass_context
def _reason(context: Context, reason: Any, detail: Any = None) -> str:
    """`{{ r | reason(d) }}`: an engine reason in the page's language, from its detail (code and
    params) when there is one; the English the engine, the runs and the API keep otherwise."""
    return i18n.reason(reason, detail, context.get("lang", "en"))


@pass_context
def _path_for(context: Context, name: str, **params: Any) -> str:
    """`{{ path_for("lot_page", id=lot.id) }}`: the path of a named route (an API route is
    "api:<name>"), so a template names the page it links to and never spells its path."""
    return str(context["request"].app.url_path_for(name, **params))


def _pct(value: Any) -> str:
    """`{{ pct(rate) }}`: a share as a percentage with one decimal; — when there is none."""
    return "—" if value is None else f"{fmt.number(float(value) * 100, 1)}%"


def lang_of(request: Request) -> str:
    return pick_lang(request.cookies.get("lang"))


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> Response:
    """Render `name`; for an htmx request that names a target, only `block` (when given)."""
    lang = lang_of(request)
    ctx = {
        "actor": getattr(request.state, "actor", None),
        "lang": lang,
        "csrf_token": csrf_token(request),
        "demo": request.app.state.settings.demo,
        **(context or {}),
    }
    partial = bool(block) and request.headers.get("hx-request") == "true"
    if not partial and status_code < 400:
        ctx.setdefault("flash", flash.take(request))
    templates: Jinja2Blocks = request.app.state.templates
    if block and request.headers.get("hx-request") == "true":
        return templates.TemplateResponse(
            request, name, ctx, block_name=block, status_code=status_code
        )
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
