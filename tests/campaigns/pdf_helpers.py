"""Reading built PDFs back in tests: text, structure tree, fonts."""

from io import BytesIO

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject


def reader(built) -> PdfReader:
    return PdfReader(BytesIO(built.read_bytes()))


def page_texts(built) -> list[str]:
    """Each page's text with whitespace collapsed (names wrap across lines)."""
    return [" ".join(page.extract_text().split()) for page in reader(built).pages]


def text(built) -> str:
    return " ".join(page_texts(built))


def structure_problems(pdf: PdfReader) -> list[str]:
    """What is wrong with the structure tree: every page's marked content must map to
    structure elements on that page, and every element must hang from the Document."""
    problems = []
    catalog = pdf.trailer["/Root"]
    root = catalog["/StructTreeRoot"]
    document = root["/K"][0].get_object()
    nums = root["/ParentTree"]["/Nums"]
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    keys = [int(nums[i]) for i in range(0, len(nums), 2)]
    if keys != sorted(keys):
        problems.append("parent tree keys are not sorted")
    for number, page in enumerate(pdf.pages):
        key = page.get("/StructParents")
        if key is None or int(key) not in tree:
            problems.append(f"page {number + 1} has no parent tree entry")
            continue
        for element in tree[int(key)].get_object():
            element = element.get_object()
            if element.raw_get("/Pg").idnum != page.indirect_reference.idnum:
                problems.append(f"page {number + 1} maps to an element of another page")
    seen = set()

    def walk(element, parent):
        if element.indirect_reference.idnum in seen:
            problems.append("an element appears twice")
            return
        seen.add(element.indirect_reference.idnum)
        if element.raw_get("/P").idnum != parent.indirect_reference.idnum:
            problems.append(f"{element['/S']} has the wrong parent")
        for kid in element.get("/K", ArrayObject()):
            if isinstance(kid, IndirectObject):
                kid_object = kid.get_object()
                if isinstance(kid_object, DictionaryObject) and kid_object.get("/S"):
                    walk(kid_object, element)

    for kid in document["/K"]:
        walk(kid.get_object(), document)
    return problems


def first_elements_pages(pdf: PdfReader, count: int) -> list[int]:
    """The page numbers (from 0) of the Document's first `count` elements: reading order."""
    document = pdf.trailer["/Root"]["/StructTreeRoot"]["/K"][0].get_object()
    page_numbers = {page.indirect_reference.idnum: n for n, page in enumerate(pdf.pages)}
    return [page_numbers[kid.get_object().raw_get("/Pg").idnum] for kid in document["/K"][:count]]


def embedded_font_names(pdf: PdfReader) -> set[str]:
    names = set()
    for page in pdf.pages:
        fonts = page["/Resources"].get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names
