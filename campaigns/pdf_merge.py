"""Put a tagged cover in front of a tagged letter without writing the letter again.

A recipient's copy is the cover's pages, then the shared letter's. Writing the two as one
WeasyPrint document keeps the PDF/UA tags, but repaints and re-serializes every page of the
letter, its fonts and its structure tree for each copy: a copy then costs 40% of a full
render. Instead the letter's file is written once and each copy is that file, byte for byte,
followed by an incremental update (ISO 32000-1, 7.5.6) that adds the cover's objects and
replaces the three objects that must change: the page tree (cover pages first), the
structure tree's Document element (the cover's elements first, so screen readers read it
first) and the parent tree (the cover pages' marked-content entries).

The letter is WeasyPrint PDF/UA output, read once; what the three replaced objects keep of
it is serialized once too, so a copy does not grow slower with the letter. The cover is
never written as a file: it comes as the `pydyf.PDF` WeasyPrint builds before writing, and
its objects go into the copy from their serialized form, renumbered. Writing the cover and
parsing it back took a quarter of a copy's time. Both have one Document element under the
StructTreeRoot, and a ParentTree whose Nums map each page's StructParents to its elements.
"""

import re
from io import BytesIO

import pydyf
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, NumberObject

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
# In pydyf's output: a literal string, left alone (pydyf escapes every parenthesis in one),
# or an indirect reference, after a space or a bracket (never inside a name such as /F12).
# Hex strings never hold a space, so never match.
_REFERENCE = re.compile(rb"\((?:[^\\)]|\\.)*\)|(?<![^\s\[])(\d+) 0 R\b", re.DOTALL)
_STRUCT_PARENT_KEYS = ("StructParents", "StructParent")


class MergeError(ValueError):
    """The inputs are not tagged PDFs of the expected shape."""


def _structure(reader: PdfReader):
    catalog = reader.root_object
    struct_root = catalog.get("/StructTreeRoot")
    if struct_root is None:
        raise MergeError("no structure tree")
    struct_root = struct_root.get_object()
    kids = struct_root.raw_get("/K")
    kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
    if not isinstance(kids, ArrayObject) or len(kids) != 1:
        raise MergeError("expected one Document element")
    document_ref = kids[0]
    parent_tree_ref = struct_root.raw_get("/ParentTree")
    if not isinstance(document_ref, IndirectObject) or not isinstance(
        parent_tree_ref, IndirectObject
    ):
        raise MergeError("expected indirect Document element and ParentTree")
    return catalog, document_ref, parent_tree_ref


class TaggedLetter:
    """A letter's PDF, read once, to which covers are prepended."""

    def __init__(self, data: bytes):
        if not data.endswith(b"\n"):
            data += b"\n"
        match = _STARTXREF.search(data[-64:])
        if match is None:
            raise MergeError("no startxref")
        self.data = data
        self.startxref = int(match.group(1))
        reader = PdfReader(BytesIO(data))
        trailer = reader.trailer
        self.size = int(trailer["/Size"])
        self.root_ref = trailer.raw_get("/Root")
        self.info_ref = trailer.raw_get("/Info") if "/Info" in trailer else None
        self.file_id = trailer.get("/ID")
        catalog, document_ref, parent_tree_ref = _structure(reader)
        self.page_count = len(reader.pages)
        pages = catalog["/Pages"].get_object()
        document = document_ref.get_object()
        parent_tree = parent_tree_ref.get_object()
        nums = parent_tree.get("/Nums", ArrayObject())
        self.next_key = max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1
        # What each copy keeps of the three objects it replaces, serialized once.
        self.pages_number = catalog.raw_get("/Pages").idnum
        self.pages_entries = _entries(pages, skip=("/Kids", "/Count"))
        self.pages_kids = _items(pages["/Kids"])
        self.pages_count = int(pages["/Count"])
        self.document_number = document_ref.idnum
        self.document_entries = _entries(document, skip=("/K",))
        self.document_kids = _items(document.get("/K", ArrayObject()))
        self.parent_tree_number = parent_tree_ref.idnum
        self.parent_tree_entries = _entries(parent_tree, skip=("/Nums",))
        self.parent_tree_nums = _items(nums)

    def with_cover(self, cover: pydyf.PDF) -> bytes:
        """The letter with `cover`'s pages (and their tags) in front.

        `cover` is WeasyPrint's PDF before it is written, as `weasyprint.pdf.generate_pdf`
        returns it; its objects are changed on the way (their StructParents keys).
        """
        struct_root, document, parent_tree = _cover_structure(cover)
        # Objects that stand for their counterparts in the letter.
        numbers = {cover.pages.number: self.pages_number, document.number: self.document_number}
        excluded = {0, cover.catalog.number, struct_root.number, parent_tree.number, *numbers}
        offset = self.next_key
        for obj in cover.objects:
            entries = obj.extra if isinstance(obj, pydyf.Stream) else obj
            if isinstance(entries, dict) and obj.number not in excluded:
                for key in _STRUCT_PARENT_KEYS:
                    if key in entries:
                        entries[key] = int(entries[key]) + offset

        page_refs = [b"%d 0 R" % number for number in cover.pages["Kids"][::3]]
        cover_kids = [_bytes(kid) for kid in document.get("K", [])]
        cover_nums = parent_tree.get("Nums", [])
        cover_values = [_bytes(value) for value in cover_nums[1::2]]
        serialized = _collect(cover, [*page_refs, *cover_kids, *cover_values], excluded)
        numbers.update({old: self.size + index for index, old in enumerate(serialized)})

        def renumber(data: bytes) -> bytes:
            def replace(match: re.Match) -> bytes:
                if match.group(1) is None:
                    return match.group(0)
                old = int(match.group(1))
                if old not in numbers:
                    raise MergeError(f"cover object {old} has no place in the copy")
                return b"%d 0 R" % numbers[old]

            return _REFERENCE.sub(replace, data)

        added = [(numbers[old], renumber(head) + body) for old, (head, body) in serialized.items()]
        pages = b"<<\n%s/Count %d\n/Kids [ %s %s ]\n>>" % (
            self.pages_entries,
            self.pages_count + len(page_refs),
            renumber(b" ".join(page_refs)),
            self.pages_kids,
        )
        document_copy = b"<<\n%s/K [ %s %s ]\n>>" % (
            self.document_entries,
            renumber(b" ".join(cover_kids)),
            self.document_kids,
        )
        nums = b" ".join(
            b"%d %s" % (int(key) + offset, renumber(value))
            for key, value in zip(cover_nums[::2], cover_values, strict=True)
        )
        parent_tree_copy = b"<<\n%s/Nums [ %s %s ]\n>>" % (
            self.parent_tree_entries,
            self.parent_tree_nums,
            nums,
        )
        added += [
            (self.pages_number, pages),
            (self.document_number, document_copy),
            (self.parent_tree_number, parent_tree_copy),
        ]
        return self._append(added, next_number=self.size + len(serialized))

    def _append(self, objects: list[tuple[int, bytes]], *, next_number: int) -> bytes:
        out = bytearray(self.data)
        offsets = {}
        for number, body in objects:
            offsets[number] = len(out)
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref_number = next_number
        offsets[xref_number] = len(out)
        numbers = sorted(offsets)
        index, rows = [], bytearray()
        for number in numbers:
            if index and index[-2] + index[-1] == number:
                index[-1] += 1
            else:
                index += [number, 1]
            rows += b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00"
        trailer = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/XRef"),
                NameObject("/Size"): NumberObject(xref_number + 1),
                NameObject("/Index"): ArrayObject(NumberObject(n) for n in index),
                NameObject("/W"): ArrayObject(NumberObject(n) for n in (1, 4, 1)),
                NameObject("/Prev"): NumberObject(self.startxref),
                NameObject("/Root"): self.root_ref,
                NameObject("/Length"): NumberObject(len(rows)),
            }
        )
        if self.info_ref is not None:
            trailer[NameObject("/Info")] = self.info_ref
        if self.file_id is not None:
            trailer[NameObject("/ID")] = self.file_id
        out += b"%d 0 obj\n" % xref_number + _pypdf_bytes(trailer)
        out += b"\nstream\n" + bytes(rows) + b"\nendstream\nendobj\n"
        out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
        return bytes(out)


# --- the letter's side: pypdf objects ---------------------------------------------------


def _pypdf_bytes(obj) -> bytes:
    buffer = BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def _entries(dictionary: DictionaryObject, *, skip: tuple[str, ...]) -> bytes:
    """A dictionary's entries but `skip`, one a line, as they go between << and >>."""
    return b"".join(
        _pypdf_bytes(NameObject(key)) + b" " + _pypdf_bytes(value) + b"\n"
        for key, value in dictionary.items()
        if key not in skip
    )


def _items(array: ArrayObject) -> bytes:
    return b" ".join(_pypdf_bytes(item) for item in array)


# --- the cover's side: pydyf objects ----------------------------------------------------


def _bytes(value) -> bytes:
    """A pydyf value as it is written (references are kept as bytes such as b"12 0 R")."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, pydyf.Object):
        return value.data
    return str(value).encode()


def _references(data: bytes) -> list[int]:
    return [int(match.group(1)) for match in _REFERENCE.finditer(data) if match.group(1)]


def _target(pdf: pydyf.PDF, reference) -> pydyf.Object | None:
    """The object a pydyf reference (b"12 0 R") points to, None if it is not one."""
    if not isinstance(reference, bytes | str):
        return None
    match = re.fullmatch(rb"(\d+) 0 R", _bytes(reference))
    if match is None or not 0 < int(match.group(1)) < len(pdf.objects):
        return None
    return pdf.objects[int(match.group(1))]


def _cover_structure(cover: pydyf.PDF):
    """The cover's StructTreeRoot, its Document element and its ParentTree."""
    struct_root = _target(cover, cover.catalog.get("StructTreeRoot"))
    if struct_root is None:
        raise MergeError("no structure tree")
    kids = struct_root.get("K")
    if not isinstance(kids, list) or len(kids) != 1:
        raise MergeError("expected one Document element")
    document = _target(cover, kids[0])
    parent_tree = _target(cover, struct_root.get("ParentTree"))
    if document is None or parent_tree is None:
        raise MergeError("expected indirect Document element and ParentTree")
    return struct_root, document, parent_tree


def _collect(cover: pydyf.PDF, starts: list[bytes], excluded: set[int]):
    """Every object that what `starts` refers to needs, but `excluded`, serialized, in the
    order they are first met (depth first): {number: (head, stream data)}."""
    serialized: dict[int, tuple[bytes, bytes]] = {}

    def visit(number: int):
        if number in serialized or number in excluded:
            return
        if not 0 < number < len(cover.objects):
            raise MergeError(f"cover object {number} does not exist")
        serialized[number] = _serialized(cover.objects[number])
        for referenced in _references(serialized[number][0]):
            visit(referenced)

    for data in starts:
        for number in _references(data):
            visit(number)
    return serialized


def _serialized(obj: pydyf.Object) -> tuple[bytes, bytes]:
    """An object as written: the part that may hold references, then a stream's data (still
    encoded, never searched)."""
    data = obj.data  # compresses a stream's data: once per object
    if isinstance(obj, pydyf.Stream):
        head, separator, body = data.partition(b"\nstream\n")
        return head, separator + body
    return data, b""
