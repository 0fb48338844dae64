"""The shipped fonts cover every script a signer's name may be written in."""

import logging
import re

import pytest
from fontTools.ttLib import TTFont

from campaigns.demo import SPECIAL_NAMES
from campaigns.pdf import FONT_DIR, pdf_build
from tests.factories import make_campaign, make_signature

from .pdf_helpers import embedded_font_names, reader, text

FONT_FILES = [
    "NotoSerif-Regular.ttf",
    "NotoSerif-Italic.ttf",
    "NotoSerif-Bold.ttf",
    "NotoSerif-BoldItalic.ttf",
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoNaskhArabic-Regular.ttf",
    "NotoSansCJK-Regular.woff2",
]

NAMES = [name for name, _city, _state in SPECIAL_NAMES] + [
    "Łódź Świętokrzyska Pomoc Ŝtefan Ørsted Ægir Þór Đặng Thị Nguyễn Văn Hùng",
    "Çağdaş Kadın Dayanışma Derneği",
    "Ассоциация «Надежда» Київ",
    "Ελληνική Ένωση Αλληλεγγύης",
    ARABIC_WITH_BRACKETS := "مؤسسة النور (دعم الأسرة)",
    "北京市妇女联合会 臺灣婦女救援基金會 香港婦女中心協會",
    "東京都女性支援ネットワーク・みんなの家",
    "부산 여성 인권 센터 똠방각하",
    "O’Brien & Sons — “Quotes” 50% №1 €5",
]


def _cmap(name):
    return TTFont(FONT_DIR / name, lazy=True).getBestCmap()


def test_every_font_is_shipped_with_its_licence():
    for name in FONT_FILES:
        assert (FONT_DIR / name).is_file(), name
    licence = (FONT_DIR / "OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence


def test_every_character_of_the_test_names_has_a_glyph():
    covered = set()
    for name in FONT_FILES:
        covered |= set(_cmap(name))
    missing = {ch for name in NAMES for ch in name if ord(ch) not in covered}
    assert not missing, f"no glyph for {sorted(missing)}"


def test_the_cjk_font_covers_every_hangul_syllable_kana_and_unified_ideograph():
    cmap = set(_cmap("NotoSansCJK-Regular.woff2"))
    wanted = [
        range(0xAC00, 0xD7A4),  # Hangul syllables
        range(0x3041, 0x3097),  # hiragana
        range(0x30A1, 0x30FB),  # katakana
        range(0x4E00, 0x9FF0),  # CJK Unified Ideographs (the block as of Unicode 12)
    ]
    for block in wanted:
        missing = [hex(code) for code in block if code not in cmap]
        assert not missing, missing[:10]
    # Spaces and punctuation inside a CJK run take the CJK font, so it needs them too.
    assert {ord(c) for c in " ,.()-'&"} <= cmap


def test_the_arabic_and_latin_fonts_cover_their_blocks():
    arabic = set(_cmap("NotoNaskhArabic-Regular.ttf"))
    assert all(code in arabic for code in range(0x0621, 0x064B))
    assert {ord(c) for c in " ،.٠١٢٣٤٥٦٧٨٩"} <= arabic
    for name in FONT_FILES[:6]:
        cmap = set(_cmap(name))
        latin = [c for c in range(0x00C0, 0x0250) if chr(c).isalpha()]
        assert all(code in cmap for code in latin), name


@pytest.mark.django_db
def test_every_name_renders_in_the_shipped_fonts(settings, tmp_path, caplog):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign()
    for index, name in enumerate(NAMES):
        make_signature(
            campaign=campaign, organization_name=name, state=["WA", "NY", "CA"][index % 3]
        )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        built = pdf_build(campaign=campaign)
    # WeasyPrint warns for every character drawn as .notdef (a missing glyph).
    assert not [r for r in caplog.records if "notdef" in r.getMessage()], caplog.text
    # Only our fonts are embedded: nothing fell back to whatever the machine has.
    families = {re.sub(r"^/[A-Z]{6}\+", "", font) for font in embedded_font_names(reader(built))}
    assert families and all(family.startswith("Letter-") for family in families), families
    assert {"Letter-Arabic", "Letter-CJK", "Letter-Sans", "Letter-Serif"} <= families
    # Lines of CJK text may break between any two characters: compare without spaces.
    content = "".join(text(built).split())
    for name in NAMES:
        if name == ARABIC_WITH_BRACKETS:
            continue  # pypdf reads mirrored brackets in right-to-left text in visual order
        assert "".join(name.split()) in content, (
            name,
            content[content.find(name[:2]) - 40 : content.find(name[:2]) + 60],
        )
