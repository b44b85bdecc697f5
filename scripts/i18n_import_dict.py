"""Move the English → Chinese entries of web/i18n.py's old `ZH` dict into the gettext catalogue.

Branches written before the catalogue add their strings to `ZH` (`ZH.update({...})` blocks, or
entries in the `ZH = {...}` literal). After merging such a branch (docs/translating.md):

    python scripts/i18n.py extract            # the sources' msgids, the merged templates' too
    python scripts/i18n.py update             # new msgids into messages.po, untranslated
    python scripts/i18n_import_dict.py        # their Chinese from ZH; ZH emptied in web/i18n.py
    python scripts/i18n.py check              # nothing missing, nothing unused

An entry whose English is used nowhere as a literal (looked up by value: `_(row.status)`) is
declared in web/i18n_terms.py (`LOOKED_UP`) so that extraction keeps it. An msgid that already has
a different Chinese keeps the catalogue's and is reported. `--dry-run` only reports.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.i18n import extracted  # noqa: E402

I18N = ROOT / "web" / "i18n.py"
TERMS = ROOT / "web" / "i18n_terms.py"
PO = ROOT / "web" / "locale" / "zh" / "LC_MESSAGES" / "messages.po"


def dict_entries(source: str) -> tuple[dict[str, str], list[tuple[int, int]]]:
    """The ZH entries written in `source`, and the line spans (1-based, inclusive) of the
    statements that hold them: `ZH.update({...})` calls and a non-empty `ZH = {...}`."""
    tree = ast.parse(source)
    entries: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for node in tree.body:
        literal: ast.expr | None = None
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "update"
                and isinstance(func.value, ast.Name)
                and func.value.id == "ZH"
                and node.value.args
            ):
                literal = node.value.args[0]
        elif isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "ZH" for t in targets):
                literal = node.value
        if isinstance(literal, ast.Dict) and literal.keys:
            entries.update(ast.literal_eval(literal))
            assert node.end_lineno is not None
            spans.append((node.lineno, node.end_lineno))
    return entries, spans


def strip(source: str, spans: list[tuple[int, int]]) -> str:
    """`source` without the ZH entries: update blocks removed, the literal emptied."""
    lines = source.splitlines(keepends=True)
    for start, end in sorted(spans, reverse=True):
        text = "".join(lines[start - 1 : end])
        replacement = (
            "ZH: dict[str, str] = {}\n"
            if text.lstrip().startswith("ZH") and ("ZH.update" not in text)
            else ""
        )
        lines[start - 1 : end] = [replacement]
    return "".join(lines)


def main(argv: list[str]) -> int:
    dry = "--dry-run" in argv
    source = I18N.read_text(encoding="utf-8")
    entries, spans = dict_entries(source)
    if not entries:
        print("web/i18n.py's ZH holds no entries: nothing to import")
        return 0
    with PO.open("rb") as f:
        po = read_po(f)
    used = {m.id for m in extracted() if m.id and not m.context}
    added, filled, kept, declared = 0, 0, [], []
    for english, chinese in entries.items():
        if english not in used:
            declared.append(english)
        message = po.get(english)
        if message is None:
            po.add(english, chinese)
            added += 1
        elif not message.string:
            message.string = chinese
            filled += 1
        elif message.string != chinese:
            kept.append(f"{english!r}: kept {message.string!r}, not {chinese!r}")
    print(f"{len(entries)} entries: {filled} filled, {added} added, {len(kept)} differ")
    for line in kept:
        print("  differs:", line)
    if declared:
        print(f"{len(declared)} looked up by value, declared in web/i18n_terms.py:")
        for english in declared:
            print("  ", repr(english))
    if dry:
        return 0
    with PO.open("wb") as f:
        write_po(f, po, width=0, sort_by_file=True)
    if declared:
        terms = TERMS.read_text(encoding="utf-8").rstrip("\n")
        terms += "\n\n# Moved from web/i18n.py's ZH by scripts/i18n_import_dict.py.\n"
        terms += "LOOKED_UP += (\n"
        terms += "".join(f"    N_({e!r}),\n" for e in declared) + ")\n"
        TERMS.write_text(terms, encoding="utf-8")
    I18N.write_text(strip(source, spans), encoding="utf-8")
    print("ZH emptied; run `python scripts/i18n.py extract && python scripts/i18n.py update`")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
