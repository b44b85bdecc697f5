"""Cut the PDF font out of Source Han Sans SC: GB 2312's characters and ASCII, renamed.

The transfer manifests, contracts and 台账 are printed as PDFs that must show Chinese on a
machine that has no Chinese font, so the app embeds its own. The full OpenType font is 17 MB;
GB 2312's 6 763 characters (every 汉字 of a Yunnan company's or town's name in practice), the
full-width punctuation and ASCII make it about 2 MB once its outlines are converted to TrueType
(fpdf2 subsets a TrueType font for each PDF several times faster than a CFF one: a manifest in
0.4 s instead of 1 s). A character outside the subset prints as the font's blank glyph.

The SIL Open Font License reserves the name "Source" for the unmodified font, and a subset is a
modified version, so the subset is renamed "Wastematch Sans SC". Written deterministically (no
new timestamp), so running scripts/vendor_refresh.sh again gives the same bytes and the same
SHA-256 in VERSIONS.txt.

    python scripts/font_subset.py SOURCE.otf TARGET.ttf
"""

from __future__ import annotations

import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

FAMILY = "Wastematch Sans SC"
POSTSCRIPT = "WastematchSansSC-Regular"
EXTRA = (
    "　、。·ˉˇ¨〃々—～‖…‘’“”〔〕〈〉《》「」『』〖〗【】±×÷∶∧∨∑∏∪"
    "∩∈∷√⊥∥∠⌒⊙∫∮≡≌≈∽∝≠≮≯≤≥∞∵∴♂♀°′″℃￥¤￠￡‰§№☆★○"
    "●◎◇◆□■△▲※→←↑↓〓！＂＃＄％＆＇（）＊＋，－．／：；＜＝＞？＠［＼］＾"
    "＿｀｛｜｝～²³·•€"
)


def characters() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    chars.update(EXTRA)
    return "".join(sorted(chars))


def main(source: str, target: str) -> None:
    font = TTFont(source, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = []  # no shaping: fpdf2 places CJK glyphs one by one
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters())
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 4:
            names.setName(
                FAMILY + " Regular", 4, record.platformID, record.platEncID, record.langID
            )
        elif record.nameID == 6:
            names.setName(POSTSCRIPT, 6, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 3:
            names.setName(
                POSTSCRIPT + ";subset of Source Han Sans SC",
                3,
                record.platformID,
                record.platEncID,
                record.langID,
            )
    to_truetype(font)
    font.save(target, reorderTables=True)


def to_truetype(font: TTFont) -> None:
    """CFF outlines to TrueType (quadratic) ones, fontTools' otf2ttf recipe: fpdf2 subsets a
    TrueType font for each PDF in a tenth of the time it takes to recompile CFF charstrings."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxComponentDepth = 0
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font.sfntVersion = "\x00\x01\x00\x00"
    font["head"].glyphDataFormat = 0
    font["head"].indexToLocFormat = 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
