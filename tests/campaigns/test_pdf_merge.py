from io import BytesIO

import pydyf
from pypdf import PdfReader
from weasyprint import HTML

from campaigns import pdf
from campaigns.pdf_merge import TaggedLetter

from .pdf_helpers import first_elements_pages, structure_problems


def _document(body: str):
    html = f'<html lang="en"><head><title>Letter</title></head><body>{body}</body></html>'
    return HTML(string=html).render(pdf_variant=pdf.PDF_VARIANT)


def test_cover_strings_that_look_like_references_are_copied_as_written():
    letter = TaggedLetter(_document("<p>The letter.</p>").write_pdf(pdf_variant=pdf.PDF_VARIANT))
    cover = pdf._cover_objects(_document("<article><p>The cover.</p></article>"))
    # Strings are the one place where "3 0 R" is not a reference; pydyf escapes parentheses
    # and backslashes in them.
    alt = "Room (3 0 R) \\ 12 0 R)"
    elements = [o for o in cover.objects if isinstance(o, dict) and o.get("S") == "/Art"]
    elements[0]["Alt"] = pydyf.String(alt)

    copy = PdfReader(BytesIO(letter.with_cover(cover)), strict=True)

    assert [page.extract_text().strip() for page in copy.pages] == ["The cover.", "The letter."]
    assert structure_problems(copy) == []
    assert first_elements_pages(copy, 2) == [0, 1]
    document = copy.trailer["/Root"]["/StructTreeRoot"]["/K"][0].get_object()
    assert document["/K"][0].get_object()["/Alt"] == alt
