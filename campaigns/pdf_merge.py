"""Put a tagged cover in front of a tagged letter without writing the letter again.

A recipient's copy is the cover's pages, then the shared letter's. Writing the two as one
WeasyPrint document keeps the PDF/UA tags, but repaints and re-serializes every page of the
letter, its fonts and its structure tree for each copy: a copy then costs 40% of a full
render. Instead the letter's file is written once and each copy is that file, byte for byte,
followed by an incremental update (ISO 32000-1, 7.5.6) that adds the cover's objects and
replaces the three objects that must change: the page tree (cover pages first), the
structure tree's Document element (the cover's elements first, so screen readers read it
first) and the parent tree (the cover pages' marked-content entries).

Both inputs are WeasyPrint PDF/UA output: one Document element under the StructTreeRoot,
and a ParentTree whose Nums map each page's StructParents to its elements.
"""

import re
from dataclasses import dataclass
from io import BytesIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
)

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


class MergeError(ValueError):
    """The inputs are not tagged PDFs of the expected shape."""


@dataclass
class _Ref:
    idnum: int

    def indirect(self) -> IndirectObject:
        return IndirectObject(self.idnum, 0, None)  # type: ignore[arg-type]


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
    return catalog, struct_root, document_ref, parent_tree_ref


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
        catalog, _struct_root, document_ref, parent_tree_ref = _structure(reader)
        self.page_count = len(reader.pages)
        self.pages_ref = catalog.raw_get("/Pages")
        self.pages = catalog["/Pages"].get_object()
        self.document_ref = document_ref
        self.document = document_ref.get_object()
        self.parent_tree_ref = parent_tree_ref
        self.parent_tree = parent_tree_ref.get_object()
        nums = self.parent_tree.get("/Nums", ArrayObject())
        self.next_key = max((int(nums[i]) for i in range(0, len(nums), 2)), default=-1) + 1

    def with_cover(self, cover: bytes) -> bytes:
        """The letter with `cover`'s pages (and their tags) in front."""
        reader = PdfReader(BytesIO(cover))
        catalog, struct_root, document_ref, parent_tree_ref = _structure(reader)
        document = document_ref.get_object()
        excluded = {
            catalog.indirect_reference.idnum,
            catalog.raw_get("/Pages").idnum,
            struct_root.indirect_reference.idnum,
            document_ref.idnum,
            parent_tree_ref.idnum,
        }
        # Objects that stand for their counterparts in the letter.
        replaced = {
            catalog.raw_get("/Pages").idnum: self.pages_ref.idnum,
            document_ref.idnum: self.document_ref.idnum,
        }
        page_refs = [page.indirect_reference for page in reader.pages]
        cover_kids = list(document.get("/K", ArrayObject()))
        cover_nums = parent_tree_ref.get_object().get("/Nums", ArrayObject())

        # Collect every object the cover's pages and elements need, in a stable order.
        order: list[int] = []
        seen: set[int] = set()

        def visit(obj: PdfObject):
            if isinstance(obj, IndirectObject):
                if obj.idnum in seen or obj.idnum in excluded:
                    return
                seen.add(obj.idnum)
                order.append(obj.idnum)
                visit(reader.get_object(obj.idnum))
            elif isinstance(obj, DictionaryObject):
                for value in obj.values():
                    visit(value)
            elif isinstance(obj, ArrayObject):
                for value in obj:
                    visit(value)

        for start in [*page_refs, *cover_kids, *cover_nums]:
            visit(start)
        numbers = {old: self.size + index for index, old in enumerate(order)}
        numbers.update(replaced)
        offset = self.next_key

        def remap(obj: PdfObject) -> PdfObject:
            if isinstance(obj, IndirectObject):
                if obj.idnum not in numbers:
                    raise MergeError(f"cover object {obj.idnum} has no place in the copy")
                return _Ref(numbers[obj.idnum]).indirect()
            if isinstance(obj, DictionaryObject):
                copy = DictionaryObject()
                for key, value in obj.items():
                    if key in ("/StructParents", "/StructParent"):
                        copy[NameObject(key)] = NumberObject(int(value) + offset)
                    else:
                        copy[NameObject(key)] = remap(value)
                return copy
            if isinstance(obj, ArrayObject):
                return ArrayObject(remap(value) for value in obj)
            return obj

        objects: list[tuple[int, bytes]] = []
        for old in order:
            obj = reader.get_object(old)
            objects.append((numbers[old], _serialize(remap(obj), obj)))

        pages = DictionaryObject(self.pages)
        pages[NameObject("/Kids")] = ArrayObject(
            [*(remap(ref) for ref in page_refs), *self.pages["/Kids"]]
        )
        pages[NameObject("/Count")] = NumberObject(int(self.pages["/Count"]) + len(page_refs))
        document_copy = DictionaryObject(self.document)
        document_copy[NameObject("/K")] = ArrayObject(
            [*(remap(kid) for kid in cover_kids), *self.document.get("/K", ArrayObject())]
        )
        parent_tree = DictionaryObject(self.parent_tree)
        nums = ArrayObject(self.parent_tree.get("/Nums", ArrayObject()))
        for index in range(0, len(cover_nums), 2):
            nums.append(NumberObject(int(cover_nums[index]) + offset))
            nums.append(remap(cover_nums[index + 1]))
        parent_tree[NameObject("/Nums")] = nums
        objects += [
            (self.pages_ref.idnum, _serialize(pages)),
            (self.document_ref.idnum, _serialize(document_copy)),
            (self.parent_tree_ref.idnum, _serialize(parent_tree)),
        ]
        return self._append(objects, next_number=self.size + len(order))

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
        out += b"%d 0 obj\n" % xref_number + _dictionary_bytes(trailer)
        out += b"\nstream\n" + bytes(rows) + b"\nendstream\nendobj\n"
        out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
        return bytes(out)


def _dictionary_bytes(obj: DictionaryObject) -> bytes:
    buffer = BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def _serialize(obj: PdfObject, original: PdfObject | None = None) -> bytes:
    if isinstance(original, StreamObject):
        # Keep the stream's encoded bytes as they are; only its dictionary is renumbered.
        raw = original._data  # pypdf keeps the still-encoded bytes here
        assert isinstance(obj, DictionaryObject)
        obj[NameObject("/Length")] = NumberObject(len(raw))
        return _dictionary_bytes(obj) + b"\nstream\n" + raw + b"\nendstream"
    buffer = BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()
