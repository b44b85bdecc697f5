"""The gettext catalogue's three steps, with the project's keywords (docs/translating.md).

python scripts/i18n.py extract   # sources and templates -> web/locale/messages.pot
python scripts/i18n.py update    # the .pot merged into each language's messages.po
python scripts/i18n.py compile   # .po -> .mo (optional: the app compiles the .po in memory)
python scripts/i18n.py check     # exit 1 when the .po is out of date or has an empty msgstr
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from market.errors import KEYWORDS  # noqa: E402

LOCALE = ROOT / "web" / "locale"
POT = LOCALE / "messages.pot"
LANGS = ("zh",)
EXTRA = ("_", "gettext", "translate", "say", "N_", "pgettext:1c,2", "P_:1c,2", "ngettext:1,2")


def keywords() -> list[str]:
    out: list[str] = []
    for k in (*EXTRA, *KEYWORDS):
        out += ["-k", k]
    return out


def extract() -> None:
    os.chdir(ROOT)
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "--no-default-keywords",
            *keywords(),
            "--sort-by-file",
            "--no-wrap",
            "--project",
            "wastematch",
            "-o",
            str(POT),
            ".",  # from the root: the catalogue names files by their path in the repository
        ]
    )


def update() -> None:
    for lang in LANGS:
        CommandLineInterface().run(
            [
                "pybabel",
                "-q",
                "update",
                "-i",
                str(POT),
                "-d",
                str(LOCALE),
                "-l",
                lang,
                "--no-wrap",
                "--ignore-obsolete",
                "--no-fuzzy-matching",
            ]
        )


def compile_mo() -> None:
    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(LOCALE)])


def extracted() -> Catalog:
    """The msgids the sources use now, extracted in memory (nothing written)."""
    from babel.messages.frontend import parse_keywords

    catalog = Catalog(project="wastematch")
    mapping = _method_map()
    kw = parse_keywords(list((*EXTRA, *KEYWORDS)))
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), mapping[0], mapping[1], keywords=kw, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _method_map():  # type: ignore[no-untyped-def]
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as f:
        return parse_mapping_cfg(f)


def problems(lang: str = "zh") -> list[str]:
    """What is wrong with `lang`'s catalogue: msgids the sources use that it lacks or leaves
    empty, and msgids it holds that nothing uses any more."""
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        po = read_po(f)
    used = extracted()
    out = []
    for message in used:
        if not message.id:
            continue
        have = po.get(message.id, message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if have is None:
            out.append(f"missing: {message.id!r} ({where})")
        elif not have.string:
            out.append(f"untranslated: {message.id!r} ({where})")
    for message in po:
        if message.id and used.get(message.id, message.context) is None:
            out.append(f"unused: {message.id!r}")
    return out


def main(argv: list[str]) -> int:
    step = argv[1] if len(argv) > 1 else ""
    if step == "extract":
        extract()
    elif step == "update":
        update()
    elif step == "compile":
        compile_mo()
    elif step == "check":
        found = problems()
        print("\n".join(found) or "the catalogue is complete and up to date")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
