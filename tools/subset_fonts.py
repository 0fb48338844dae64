"""Rebuild the PDF fonts in static/fonts/ from Debian's Noto packages (maintainers only).

The PDF must render every signer's name on a fresh machine, so the project ships its fonts.
Whole Noto CJK is 19 MB a weight; these subsets keep what names need in 5.5 MB (4.7 MB
compressed in git):

- Noto Serif (letter text) and Noto Sans (headings, signer list): Latin with every European
  and Vietnamese diacritic, Greek, Cyrillic and punctuation; hinting dropped.
- Noto Naskh Arabic: the Arabic blocks and presentation forms, with all shaping features.
- Noto Sans CJK (Simplified Chinese default forms), one weight: kana, all 11,172 Hangul
  syllables, the 20,976 CJK Unified Ideographs of the basic block (U+4E00-U+9FEF, all that
  Noto CJK draws) and the compatibility ideographs. The rare extension blocks fall back to
  the machine's own fonts, if any.

Usage (any Debian or Ubuntu machine, no root needed):

    cd "$(mktemp -d)" && apt-get download fonts-noto-core fonts-noto-cjk \
      && for deb in *.deb; do dpkg-deb -x "$deb" root; done
    .venv/bin/python tools/subset_fonts.py "$PWD/root/usr/share/fonts"

It writes them to static/fonts/: TrueType outlines as plain .ttf (git compresses them as
well as WOFF would, and WeasyPrint's WOFF2 decoder rebuilds TrueType outlines slowly), the
CJK font, whose CFF outlines WOFF2 shrinks by a third and decodes in a fraction of a second,
as .woff2.
"""

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

OUT = Path(__file__).resolve().parent.parent / "static" / "fonts"

LATIN = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1, Extended-A and -B
    (0x0259, 0x0259),  # schwa
    (0x02B0, 0x036F),  # spacing modifiers, combining diacritics
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2000, 0x206F),  # general punctuation
    (0x2070, 0x209F),  # super- and subscripts
    (0x20A0, 0x20C0),  # currency
    (0x2100, 0x214F),  # letterlike symbols (№, ™)
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus
    (0xFB00, 0xFB06),  # ligatures
    (0xFEFF, 0xFEFF),
    (0xFFFD, 0xFFFD),
]
# Spaces, digits and punctuation take the font of the script around them, so the Arabic and
# CJK fonts keep theirs.
COMMON = [(0x0020, 0x0040), (0x005B, 0x0060), (0x007B, 0x007E), (0x00A0, 0x00A0), (0x2000, 0x206F)]
ARABIC = [
    *COMMON,
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0x200C, 0x200F),  # joiners and direction marks
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
]
CJK = [
    *COMMON,
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x31F0, 0x31FF),  # katakana phonetic extensions
    (0x4E00, 0x9FFF),  # every CJK Unified Ideograph of the basic block
    (0xAC00, 0xD7A3),  # every Hangul syllable
    (0xF900, 0xFAFF),  # CJK compatibility ideographs (Korean hanja)
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
]


def _codepoints(ranges):
    return {code for first, last in ranges for code in range(first, last + 1)}


def write_subset(source: Path, target: str, unicodes: set[int], features, font_number=0):
    font = TTFont(source, fontNumber=font_number, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = features
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes & set(font.getBestCmap()))
    subsetter.subset(font)
    if target.endswith(".woff2"):
        font.flavor = "woff2"
    path = OUT / target
    font.save(path)
    print(f"{target}: {path.stat().st_size // 1024} KB")


def main(fonts_dir: str) -> None:
    root = Path(fonts_dir)
    noto = root / "truetype" / "noto"
    latin = _codepoints(LATIN)
    for style in ("Regular", "Italic", "Bold", "BoldItalic"):
        write_subset(noto / f"NotoSerif-{style}.ttf", f"NotoSerif-{style}.ttf", latin, ["*"])
    for style in ("Regular", "Bold"):
        write_subset(noto / f"NotoSans-{style}.ttf", f"NotoSans-{style}.ttf", latin, ["*"])
    write_subset(
        noto / "NotoNaskhArabic-Regular.ttf",
        "NotoNaskhArabic-Regular.ttf",
        _codepoints(ARABIC),
        ["*"],
    )
    # Face 2 of the collection defaults to the Simplified Chinese glyph forms. Layout
    # features are dropped: their regional alternates would double the size.
    write_subset(
        root / "opentype" / "noto" / "NotoSansCJK-Regular.ttc",
        "NotoSansCJK-Regular.woff2",
        _codepoints(CJK),
        [],
        font_number=2,
    )


if __name__ == "__main__":
    main(sys.argv[1])
