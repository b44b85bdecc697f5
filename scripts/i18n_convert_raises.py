"""Rewrite f-string refusals as templates with named params, for the gettext catalogue.

    python scripts/i18n_convert_raises.py market/papers/*.py market/statutory/*.py ...

Each `raise InvalidInput(f"lot {lot.id}: {tonnes:g} t asked", field="lot")` (any market.errors
class, `X.about(field, value, f"...")`, matching's `ProblemError(path, f"...")`, geo's
`ZoneFileError(f"...")`) becomes `InvalidInput("lot {lot_id}: {tonnes:g} t asked", field="lot",
lot_id=lot.id, tonnes=tonnes)`; literal braces in constant messages are doubled. The names come
from the expressions: read the diff and rename what reads badly (a param that names a status must
end in `status`, a reporting month's state in `state`: docs/translating.md). It prints the sites
it could not convert (a message built elsewhere). Then `ruff format` the files (split any line
still over 100 characters by hand), `python scripts/i18n.py extract && python scripts/i18n.py
update`, and translate the new msgids.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

CLASSES = {
    "DomainError",
    "InvalidInput",
    "NotFound",
    "NotAllowed",
    "NotAuthenticated",
    "Conflict",
    "LotOverReserved",
    "OfferOverReserved",
    "DuplicateManifest",
    "InvalidState",
    "TooManyAttempts",
    "PeriodLocked",
    "StockNegative",
    "DateOutOfRange",
    "EvidenceRequired",
    "BadRequest",
    "PayloadTooLarge",
}
RESERVED = {"field", "value", "message", "errors", "template", "self", "cls", "problem"}


FSTRINGS_ONLY = "--fstrings-only" in sys.argv
"""On files already converted (after merging a branch written before the catalogue): convert the
f-strings only, and leave constant messages alone, which are templates already."""


def esc(s):
    return s.replace("{", "{{").replace("}", "}}")


def slug(src):
    s = re.sub(r"\W+", "_", src).strip("_").lower()
    s = re.sub(r"^(self|exc|e)_", "", s)
    s = s[:30].strip("_") or "x"
    if s[0].isdigit():
        s = "n" + s
    return s


def name_for(expr, src):
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        parts = [expr.attr]
        v = expr.value
        if isinstance(v, ast.Attribute):
            parts.insert(0, v.attr)
        elif isinstance(v, ast.Name) and v.id not in ("self", "cls"):
            parts.insert(0, v.id)
        return "_".join(parts)
    if (
        isinstance(expr, ast.Subscript)
        and isinstance(expr.slice, ast.Constant)
        and isinstance(expr.slice.value, str)
    ):
        base = expr.value.id if isinstance(expr.value, ast.Name) else slug(ast.unparse(expr.value))
        return (
            f"{base}_{expr.slice.value}"
            if expr.slice.value not in ("lot", "facility")
            else expr.slice.value
        )
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "join"
        and expr.args
    ):
        return name_for(expr.args[0], ast.unparse(expr.args[0]))
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "isoformat"
    ):
        return name_for(expr.func.value, "")
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "len"
        and expr.args
    ):
        return "n_" + name_for(expr.args[0], "")
    return slug(src)


def kw_src(call, key, source):
    for k in call.keywords:
        if k.arg == key:
            return ast.get_source_segment(source, k.value)
    return None


def convert(path):
    source = Path(path).read_text()
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    offs = [0]
    for line_text in lines:
        offs.append(offs[-1] + len(line_text))

    def pos(line, col):  # col is utf8 byte offset
        b = lines[line - 1].encode()[:col].decode()
        return offs[line - 1] + len(b)

    edits = []  # (start, end, text)
    manual = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        about = False
        if isinstance(f, ast.Name) and f.id in ("ProblemError", "TooLarge"):
            idx = 1
        elif isinstance(f, ast.Name) and f.id == "ZoneFileError":
            idx = 0
        elif isinstance(f, ast.Name) and f.id in CLASSES:
            idx = 0
        elif (
            isinstance(f, ast.Attribute)
            and f.attr == "about"
            and isinstance(f.value, ast.Name)
            and f.value.id in CLASSES
        ):
            idx = 2
            about = True
        else:
            continue
        if len(node.args) <= idx:
            continue
        arg = node.args[idx]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            if ("{" in arg.value or "}" in arg.value) and not FSTRINGS_ONLY:
                edits.append(
                    (
                        pos(arg.lineno, arg.col_offset),
                        pos(arg.end_lineno, arg.end_col_offset),
                        repr(esc(arg.value)),
                        arg.col_offset,
                    )
                )
            continue
        if not isinstance(arg, ast.JoinedStr):
            manual.append(f"{path}:{node.lineno}: {ast.get_source_segment(source, arg)[:90]}")
            continue
        field_src = (
            ast.get_source_segment(source, node.args[0]) if about else kw_src(node, "field", source)
        )
        value_src = (
            ast.get_source_segment(source, node.args[1]) if about else kw_src(node, "value", source)
        )
        existing = {k.arg for k in node.keywords}
        names = {}  # src -> name
        used = set(existing)
        parts = []
        for v in arg.values:
            if isinstance(v, ast.Constant):
                parts.append(esc(v.value))
                continue
            src = ast.get_source_segment(source, v.value)
            if src == field_src:
                nm = "field"
            elif src == value_src and not about:
                nm = "value"
            elif src in names:
                nm = names[src]
            else:
                nm = name_for(v.value, src)
                if nm in RESERVED or nm in used:
                    base = nm if nm not in RESERVED else nm + "_"
                    nm = base
                    i = 2
                    while nm in used or nm in RESERVED:
                        nm = f"{base}{i}"
                        i += 1
                names[src] = nm
                used.add(nm)
            spec = ""
            if v.conversion != -1:
                spec += "!" + chr(v.conversion)
            if v.format_spec is not None:
                fs = v.format_spec
                if all(isinstance(x, ast.Constant) for x in fs.values):
                    spec += ":" + "".join(x.value for x in fs.values)
                else:
                    manual.append(f"{path}:{node.lineno}: dynamic spec")
                    spec += ":"
            parts.append("{" + nm + spec + "}")
        template = "".join(parts)
        edits.append(
            (
                pos(arg.lineno, arg.col_offset),
                pos(arg.end_lineno, arg.end_col_offset),
                ("T", template),
                arg.col_offset,
            )
        )
        if names:
            kws = ", ".join(f"{n}={s}" for s, n in names.items())
            # insert before the closing paren of the call
            end = pos(node.end_lineno, node.end_col_offset) - 1
            assert source[end] == ")", (path, node.lineno)
            # find last non-space before end
            j = end - 1
            while source[j] in " \n\t":
                j -= 1
            sep = "" if source[j] in ",(" else ","
            if source[j] == "(":
                sep = ""
            edits.append((j + 1, j + 1, sep + " " + kws, None))
    edits.sort(key=lambda e: e[0], reverse=True)
    out = source
    for s, e, text, _col in edits:
        if isinstance(text, tuple):
            lit = repr(text[1])
            if '"' not in text[1]:
                lit = '"' + text[1].replace("\\", "\\\\") + '"' if "'" in text[1] or True else lit
                lit = repr(text[1]) if "\\" in text[1] or "\n" in text[1] else '"' + text[1] + '"'
            text = lit
        out = out[:s] + text + out[e:]
    Path(path).write_text(out)
    return manual


if __name__ == "__main__":
    manual: list[str] = []
    for p in dict.fromkeys(a for a in sys.argv[1:] if not a.startswith("--")):
        manual += convert(p)
    print("\n".join(manual))
