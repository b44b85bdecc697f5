"""The UI speaks Chinese first; English is one switch away.

Every string a person reads is an English msgid in the gettext catalogue
`web/locale/zh/LC_MESSAGES/messages.po` (docs/translating.md: extract, update, compile):
templates call `_("English")` (jinja2.ext.i18n), Python calls `gettext(text, lang)` or
`pgettext(context, text, lang)`, and a refusal or an engine reason is rendered from its template
and params (`refusal()`, `reason()`), never by reading the English back.

The catalogue is compiled in memory from the `.po` the first time a process needs it (a few
milliseconds), so there is no build step and no compiled file to go stale.

`ZH` is kept for branches written before the catalogue: an entry added there still shows (the
catalogue first, then `ZH`), and `scripts/i18n_import_dict.py` moves such entries into the
catalogue.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from market.errors import ABOUT, DomainError, fill

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"

ZH: dict[str, str] = {}
"""Compatibility only: English → Chinese entries not yet in the catalogue (see the docstring)."""


def N_(text: str) -> str:
    """Marks a msgid for the catalogue where the text is looked up later."""
    return text


def P_(context: str, text: str) -> str:
    """Marks a msgid in a context (`P_("status", "open")`) for the catalogue."""
    return text


@cache
def translations(lang: str) -> Translations | None:
    """The catalogue of `lang`, compiled from its .po; None for English (the msgids)."""
    if lang == "en":
        return None
    path = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def known(text: str, lang: str = "zh", context: str | None = None) -> bool:
    """Whether the catalogue of `lang` translates `text`."""
    t = translations(lang)
    if t is None:
        return True
    key = f"{context}\x04{text}" if context else text
    return key in t._catalog


def gettext(text: str, lang: str) -> str:
    t = translations(lang)
    if t is None:
        return text
    out = t.gettext(text)
    if out == text and lang == "zh":
        return ZH.get(text, text)
    return out


def pgettext(context: str, text: str, lang: str) -> str:
    t = translations(lang)
    if t is None:
        return text
    return str(t.pgettext(context, text))


def translate(text: str, lang: str) -> str:
    """The old name of `gettext`, kept for callers written before the catalogue."""
    return gettext(text, lang)


def name_of(item: Any, lang: str) -> str:
    """A catalogue entry's own name in `lang` (`name_zh`, `name_en`: data, not a msgid)."""

    def get(key: str) -> Any:
        return item.get(key) if isinstance(item, dict) else getattr(item, key, None)

    return str(get("name_zh") if lang == "zh" else get("name_en") or get("name_zh"))


def pick_lang(value: str | None) -> str:
    return value if value in LANGS else DEFAULT_LANG


# ----------------------------------------------------------------------------- refusals


def refusal(exc: DomainError, lang: str) -> str:
    """A refusal for a page in `lang`: its template looked up in the catalogue and filled with its
    params, the field by its name on the forms, codes (statuses, roles, materials) by theirs."""
    if lang == "en":
        return exc.message
    t = translations(lang)
    if t is None or not known(exc.template, lang):
        return exc.message
    words = _words(exc, lang)
    text = fill(gettext(exc.template, lang), words)
    if exc.shape == "about":
        return fill(gettext(ABOUT, lang), words) + text
    return text


def _words(exc: DomainError, lang: str) -> dict[str, Any]:
    out = exc.words()
    for name, value in exc.params.items():
        if isinstance(value, DomainError):  # a refusal inside this one, without its field
            inner = refusal(value, lang)
            for prefix in (label(value.field or "body", lang) + "：", value.message):
                inner = inner.removeprefix(prefix)
            out[name] = inner or out[name]
    if exc.shape == "about" and isinstance(exc.params.get("shown"), str):
        out["value"] = _plain("expected")(exc.params["shown"], lang)
    for name, value in list(out.items()):
        if not isinstance(value, str) or name == "value":
            continue
        term = _term_for(name)
        if term is not None:
            out[name] = term(value, lang)
    if exc.field is not None:
        out["field"] = label(exc.field, lang)
    return out


# accounts (issue 10)

# Confirmations after an action (web/flash.py), the money labels (web/format.py) and the units.

# The papers: manifests, contracts, the statutory 台账, tickets and lab reports (web/papers_*).

# Daily work: the to-do, the header's counts, notifications and their mail (web/templates/daily).

# long work as jobs (web/jobs_pages.py, web/templates/jobs/)


def _term_for(name: str) -> Callable[[str, str], str] | None:
    if name in ("field", "other", "path") or name.endswith("_field"):
        return label
    if name.endswith("status"):
        return _coded("status")
    if name.endswith("state"):
        return _coded("state")
    if name in ("role", "roles") or name.endswith("_role"):
        return _roles
    if name.endswith("site_kind"):
        return _coded("site kind")
    if name in ("entry", "entry_kind"):
        return _coded("entry kind")
    if name in ("what", "expected", "shown", "got"):
        return _plain("expected")
    if name in ("material", "material_code"):
        return _material
    if name in ("axis",):
        return _plain("axis")
    return None


def _coded(context: str) -> Callable[[str, str], str]:
    """`已拒绝（rejected）`: the word, with the code the English message shows."""

    def word(code: str, lang: str) -> str:
        if not known(code, lang, context):
            return code
        return f"{pgettext(context, code, lang)}（{code}）"

    return word


def _plain(context: str) -> Callable[[str, str], str]:
    def word(text: str, lang: str) -> str:
        return pgettext(context, text, lang) if known(text, lang, context) else text

    return word


def _roles(text: str, lang: str) -> str:
    return gettext(" or ", lang).join(_coded("role")(r, lang) for r in text.split(" or "))


def _material(code: str, lang: str) -> str:
    from market.catalogue import catalogue

    material = catalogue().materials.get(code)
    return f"{material.name_zh}（{code}）" if material and lang == "zh" else code


def label(path: str, lang: str = "zh") -> str:
    """A field as the forms name it, the path itself kept: `吨数（tonnes）`; the path alone when
    no name is known."""
    if lang == "en":
        return path
    name = _field_name(path, lang)
    return f"{name}（{path}）" if name else path


def field_name(path: str, lang: str) -> str:
    """The field's name alone (`吨数`), or the path when it has none."""
    return _field_name(path, lang) or path


def _field_name(path: str, lang: str) -> str:
    if known(path, lang, "field"):
        return pgettext("field", path, lang)
    head, _, rest = path.partition(".")
    if head in ("quality", "spec") and rest:
        # quality.so3_pct, spec.caso4_2h2o_pct.min
        from market.catalogue import catalogue

        code, _, bound = rest.partition(".")
        parameter = catalogue().parameters.get(code)
        name = pgettext("field", head, lang) + (f"·{parameter.name_zh}" if parameter else "")
        if bound in ("min", "max"):
            name += pgettext("bound", bound, lang)
        return name
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    return pgettext("field", head, lang) if known(head, lang, "field") else ""


# ----------------------------------------------------------------------------- engine reasons


def reason(text: Any, detail: Any, lang: str) -> str:
    """An engine reason in `lang`, from its detail (code and params) through the catalogue; the
    engine's English when the page is in English or the reason has no detail."""
    from matching.explain import phrase_text, reason_phrase

    if lang == "en" or not isinstance(detail, dict) or "code" not in detail:
        return str(text)
    try:
        phrase = reason_phrase(detail)
    except (KeyError, TypeError, ValueError):  # a detail of an older engine: its English
        return str(text)
    text = phrase_text(phrase, lambda t: gettext(t, lang), lambda n, v: _reason_word(n, v, lang))
    return spaced(text) if lang == "zh" else text


_HAN = "\u4e00-\u9fff"
_LATIN = "A-Za-z0-9\u0370-\u03ff"  # and Greek: 外照射指数 Iγ
_GAP = re.compile(f"(?<=[{_LATIN}])(?=[{_HAN}])|(?<=[{_HAN}])(?=[{_LATIN}])")


def spaced(text: str) -> str:
    """A space where a name in Latin letters meets Chinese (`内照射指数 IRa 的化验值`), as the
    catalogue's own names and the rest of the UI write it (typography, not translation)."""
    return _GAP.sub(" ", text)


def _reason_word(name: str, value: Any, lang: str) -> Any:
    from market.catalogue import catalogue

    if name in ("parameter", "parameters", "needs") and isinstance(value, str):
        parameter = catalogue().parameters.get(value)
        return parameter.name_zh if parameter and lang == "zh" else value
    if name in ("material", "lot_material") and isinstance(value, str):
        material = catalogue().materials.get(value)
        return material.name_zh if material and lang == "zh" else value
    return value


# lists: paging, filters, sorting (web/paging.py, _pager.html)
