"""The signed letter as a PDF: letterhead, the letter, its signers, one copy per recipient.

WeasyPrint renders `templates/pdf/letter.html` (the shared letter and signer list) and
`templates/pdf/cover.html` (cover letters, each addressed to one recipient). A recipient's
copy is the cover's pages followed by the shared pages: the shared letter is laid out and
written once, and each copy is that file with the cover prepended as an incremental update
(`pdf_merge.TaggedLetter`), structure tree included, so thousands of copies cost one letter
plus one small cover each. Covers are laid out COVER_BATCH at a time in one document, a
page each, and each page is written as its recipient's cover.

Signer lists are laid out by hand in columns (see `_paginate`): WeasyPrint's CSS columns
lay every name out several times while balancing, which is too slow for 20,000 signers,
whereas absolutely positioned columns of plain paragraphs cost one layout per name. Short
lists, and any list whose hand layout would overflow a page, use CSS columns instead.

Built files are cached under MEDIA_ROOT by a hash of everything printed in them.
"""

import atexit
import gc
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date as date_type
from functools import cache
from itertools import batched
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from signatories.models import public_name
from signatories.regions import US_STATES, region_name
from signatories.selectors import signatures_public, signatures_public_per_state

from .models import Campaign, Legislator, LetterVersion
from .pdf_merge import TaggedLetter
from .selectors import letter_version_current

logger = logging.getLogger(__name__)

# Bump whenever a change to templates/pdf/, the stylesheet or this module changes the output:
# it is part of every cache key, so cached PDFs are rebuilt.
TEMPLATE_VERSION = "2026-11-25.2"

PDF_VARIANT = "pdf/ua-1"
FONT_DIR = Path(settings.BASE_DIR) / "static" / "fonts"

# The signer list's geometry, in points; templates/pdf/letter.css uses the same numbers.
PAGE_HEIGHT = 792  # US Letter
MARGIN_TOP = 54
MARGIN_BOTTOM = 72
CONTENT_WIDTH = 468  # 8.5 in less two 1 in margins
LIST_HEIGHT = PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM - 6  # a little slack for rounding
# Three columns, or two when three would wrap many names onto a second line (more than
# WRAP_TOLERANCE more lines): long names read better, and each line costs layout time.
WRAP_TOLERANCE = 1.15
COLUMN_GAP = 18
NAME_SIZE = 8.5
LINE = 11  # every item in a column is a whole number of these, plus the gaps below
HANGING_INDENT = 8
GROUP_GAP = 5.5  # above a state heading, unless it starts a column
SECTION_GAP = 11  # above a section heading, unless it starts a column
SECTION_HEIGHT = 2 * LINE
INTRO_HEIGHT = 4 * LINE  # "Signatories" and the count, on the first list page
# Lists estimated to fill fewer columns than this flow in CSS columns after the letter.
FLOW_MAX_COLUMNS = 3 * 3
# Estimated text widths are multiplied by these; a layout that still overflows is retried
# with the next, then given to CSS columns.
WIDTH_SAFETY = (1.0, 1.1)

# Covers laid out together, in one document: a layout costs about 4 ms besides its pages
# (parsing, the cascade, the page's styles), a fifth of a copy when each is laid out alone.
COVER_BATCH = 16

_render_lock = threading.RLock()


@contextmanager
def _rendering():
    """One render at a time per process, with fewer garbage collections meanwhile.

    A long list keeps hundreds of thousands of layout objects alive, and each collection
    walks them all: collecting ten times less often saves about a tenth of the time for a
    small rise in peak memory (measured in benchmarks/pdf.py).
    """
    with _render_lock:
        thresholds = gc.get_threshold()
        gc.set_threshold(10_000, *thresholds[1:])
        try:
            yield
        finally:
            gc.set_threshold(*thresholds)


@dataclass(frozen=True)
class Recipient:
    """Who a copy is addressed to: delivery maps its legislator records to this."""

    key: str  # stable identifier, e.g. an Open States person id or a bioguide id
    name: str  # "Jane Doe"
    honorific: str = ""  # "The Honorable"
    title: str = ""  # "State Senator, District 12"
    chamber: str = ""  # "Washington State Senate"
    jurisdiction: str = ""  # "Washington"
    address_lines: tuple[str, ...] = ()  # office address, one line each
    salutation: str = ""  # "Dear Senator Doe:"; by default "Dear Jane Doe:"

    @property
    def addressee(self) -> str:
        return f"{self.honorific} {self.name}".strip()


@dataclass(frozen=True)
class BuiltPdf:
    path: Path
    sha256: str
    page_count: int
    inputs_hash: str
    from_cache: bool = False

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()


# --- fetching: only our own static files -------------------------------------------------


class FetchRefused(ValueError):
    """A URL outside the project's static files was requested while rendering."""


def static_roots() -> list[Path]:
    return [Path(root).resolve() for root in settings.STATICFILES_DIRS]


def static_file_for_url(url: str) -> Path | None:
    """The static file a file:// URL names, or None for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(url2pathname(unquote(parts.path))).resolve()
    for root in static_roots():
        if path.is_relative_to(root) and path.is_file():
            return path
    return None


@cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        """WeasyPrint's fetcher, limited to files under the project's static folders.

        Everything else (http, https, data:, file:// outside static, ../ tricks) is refused
        before any I/O; WeasyPrint logs the refusal and renders without the resource.
        """

        def fetch(self, url, headers=None):
            path = static_file_for_url(url)
            if path is None:
                raise FetchRefused(f"not a project static file: {url[:200]}")
            return URLFetcherResponse(path.as_uri(), body=path.read_bytes())

    return StaticFilesOnly


@cache
def url_fetcher():
    """The fetcher every render uses (building one sets up TLS contexts: 30 ms)."""
    return _fetcher_class()()


def _static_base_url() -> str:
    return static_roots()[0].as_uri() + "/"


# --- fonts and text measurement -----------------------------------------------------------


def _patch_page_references() -> None:
    """Make pydyf's `PDF.page_references` constant-time.

    pydyf rebuilds the tuple of every page's reference on each access, and WeasyPrint reads
    it once per structure element when tagging: O(elements x pages), several seconds for a
    20,000-signer letter. Pages are only ever appended, so the tuple is cached by page count.
    """
    import pydyf

    original = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(original, property) or getattr(original.fget, "cached", False):
        return

    def page_references(pdf):
        kids = pdf.pages["Kids"]
        cached = pdf.__dict__.get("_page_references_cache")
        if cached is None or cached[0] != len(kids):
            cached = (len(kids), original.fget(pdf))
            pdf.__dict__["_page_references_cache"] = cached
        return cached[1]

    page_references.cached = True
    pydyf.PDF.page_references = property(page_references)


@cache
def _font_config():
    """One fontconfig setup per process: fonts are decoded and registered once."""
    from weasyprint.text.fonts import FontConfiguration

    _patch_page_references()
    # Let it go while the interpreter still works: its finalizer deletes a temporary folder.
    atexit.register(_font_config.cache_clear)
    return FontConfiguration()


@cache
def _stylesheet(language: str):
    from weasyprint import CSS

    with translation.override(language):
        css = render_to_string("pdf/letter.css")
    return CSS(
        string=css,
        base_url=_static_base_url(),
        url_fetcher=url_fetcher(),
        font_config=_font_config(),
    )


def _css_string(text: str) -> str:
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;-_()" else f"\\{ord(ch):x} " for ch in text)
    return f'"{escaped}"'


def _page_label_css(total: int | None = None, page: int | None = None) -> str:
    """`content:` for "Page X of Y", translated; `total` (and `page`) are fixed for covers."""
    label = _("Page %(page)s of %(pages)s")
    pages = _css_string(str(total)) if total is not None else "counter(pages)"
    parts = []
    for piece in re.split(r"(%\(page\)s|%\(pages\)s)", label):
        if piece == "%(page)s":
            parts.append(_css_string(str(page)) if page is not None else "counter(page)")
        elif piece == "%(pages)s":
            parts.append(pages)
        elif piece:
            parts.append(_css_string(piece))
    return " ".join(parts)


class _TextMetrics:
    """Advance widths from the shipped fonts, to estimate how many lines a name takes.

    The estimate breaks lines only at spaces and around CJK characters and ignores
    kerning, so it never finds fewer lines than the real layout does.
    """

    def __init__(self):
        from fontTools.ttLib import TTFont

        self.advances: dict[str, float] = {}
        # In fallback order: a character takes its width from the first font that has it.
        for name in (
            "NotoSansCJK-Regular.woff2",
            "NotoNaskhArabic-Regular.ttf",
            "NotoSans-Regular.ttf",
        ):
            font = TTFont(FONT_DIR / name, lazy=True)
            metrics = font["hmtx"].metrics
            upem = font["head"].unitsPerEm
            for code, glyph in font.getBestCmap().items():
                if glyph in metrics:
                    self.advances[chr(code)] = metrics[glyph][0] / upem

    def words(self, text: str) -> list[tuple[float, bool]]:
        """Unbreakable pieces of `text`: (width in ems, whether a space precedes it)."""
        advances = self.advances
        if not _WIDE.search(text):
            return [
                (sum(advances.get(ch, 1.0) for ch in word), index > 0)
                for index, word in enumerate(text.split())
            ]
        pieces, width, space, pending = [], 0.0, False, False
        for ch in text:
            if ch.isspace():
                if pending:
                    pieces.append((width, space))
                    width, pending = 0.0, False
                space = bool(pieces)
            elif _WIDE.match(ch):
                if pending:
                    pieces.append((width, space))
                    space = False
                pieces.append((advances.get(ch, 1.0), space))
                width, space, pending = 0.0, False, False
            else:
                width += advances.get(ch, 1.0)
                pending = True
        if pending:
            pieces.append((width, space))
        return pieces


@cache
def _metrics() -> _TextMetrics:
    return _TextMetrics()


# CJK ideographs, kana, Hangul and fullwidth forms: a line may break around each of them.
_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def column_width(columns: int) -> float:
    return (CONTENT_WIDTH - (columns - 1) * COLUMN_GAP) / columns


def _count_lines(words: list[tuple[float, bool]], *, size: float, columns: int) -> int:
    first = column_width(columns)
    other = first - HANGING_INDENT
    space = _metrics().advances[" "] * size
    lines, x, available = 1, 0.0, first
    for em_width, space_before in words:
        width = em_width * size
        needed = width + (space if space_before and x > 0 else 0)
        if x + needed <= available:
            x += needed
            continue
        if x > 0:
            lines += 1
            available = other
        x = width
        while x > available:  # a word longer than the line breaks anywhere
            lines += 1
            x -= available
            available = other
    return lines


def estimated_lines(text: str, *, safety: float = 1.0, columns: int = 3) -> int:
    """How many lines `text` takes in a signer column (hanging indent included)."""
    return _count_lines(_metrics().words(text), size=NAME_SIZE * safety, columns=columns)


# --- the signer list ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignerLine:
    name: str
    detail: str = ""  # "Seattle, WA" in alphabetical lists

    @property
    def text(self) -> str:
        return f"{self.name}, {self.detail}" if self.detail else self.name


@dataclass
class SignerGroup:
    heading: str  # a state or region; empty in alphabetical lists
    signers: list[SignerLine] = field(default_factory=list)


@dataclass
class SignerSection:
    title: str
    groups: list[SignerGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(group.signers) for group in self.groups)


@dataclass(frozen=True)
class ListItem:
    """One entry of a laid-out column: a section title, a group heading or a signer."""

    kind: str  # "section", "group" or "signer"
    text: str
    detail: str = ""
    continued: bool = False

    @property
    def full_text(self) -> str:
        return f"{self.text}, {self.detail}" if self.detail else self.text


def _sort_key(name: str) -> str:
    return unicodedata.normalize("NFKD", name).casefold()


def signer_sections(*, campaign: Campaign) -> list[SignerSection]:
    """The public signers in print order, split into sections and (by state) groups."""
    rows = signatures_public(campaign=campaign).values(
        "list_group",
        "kind",
        "organization_name",
        "display_name",
        "listed_anonymously",
        "public_descriptor",
        "signer_name",
        "city",
        "state",
        "country",
    )
    buckets: dict[int, list[dict]] = {0: [], 1: [], 2: []}
    for row in rows:
        buckets[row["list_group"]].append(row)
    titles = {
        0: _("Lead organizations"),
        1: _("Organizations"),
        2: _("Individuals"),
    }
    by_state = campaign.signer_order == Campaign.SignerOrder.BY_STATE
    sections = []
    for number, members in buckets.items():
        if not members:
            continue
        section = SignerSection(title=titles[number])
        if by_state and number != 0:
            groups: dict[str, SignerGroup] = {}
            for row in members:
                heading = _region_heading(row)
                group = groups.setdefault(heading, SignerGroup(heading=heading))
                group.signers.append(SignerLine(name=_public_name(row)))
            # By the name printed ("Alabama" before "Alaska"), not by the state's code.
            section.groups = sorted(groups.values(), key=lambda group: _sort_key(group.heading))
            for group in section.groups:
                group.signers.sort(key=lambda line: _sort_key(line.name))
        else:
            lines = [SignerLine(name=_public_name(row), detail=_place(row)) for row in members]
            lines.sort(key=lambda line: _sort_key(line.name))
            section.groups.append(SignerGroup(heading="", signers=lines))
        sections.append(section)
    return sections


def _public_name(row: dict) -> str:
    # Only the public name is ever printed: never the signer's own name, email or phone.
    return public_name(
        display_name=row["display_name"],
        kind=row["kind"],
        listed_anonymously=row["listed_anonymously"],
        public_descriptor=row["public_descriptor"],
        signer_name=row["signer_name"],
        organization_name=row["organization_name"],
    )


def _region_heading(row: dict) -> str:
    if row["state"]:
        name = region_name(row["state"], row["country"])
        return name if row["country"] == "US" else f"{name}, {row['country']}"
    return row["country"] or _("No state given")


def _place(row: dict) -> str:
    # People listed without a name are not placed more precisely than their state, as on
    # the public page: a city next to "a person with lived experience" can identify them.
    city = "" if row["listed_anonymously"] else row["city"]
    return ", ".join(part for part in (city, row["state"]) if part)


def _item_lines(item: ListItem, *, safety: float, columns: int, words=None) -> float:
    if item.kind == "signer":
        if words is None:
            words = _metrics().words(item.full_text)
        return _count_lines(words, size=NAME_SIZE * safety, columns=columns)
    return (SECTION_HEIGHT if item.kind == "section" else LINE) / LINE


def _gap(item: ListItem) -> float:
    """Space above an item that does not start a column, in lines."""
    if item.kind == "section":
        return SECTION_GAP / LINE
    if item.kind == "group":
        return GROUP_GAP / LINE
    return 0.0


def _one_line(heading: str, limit: int = 26) -> str:
    """Headings take exactly one line of a column: long ones are shortened."""
    return heading if len(heading) <= limit else heading[: limit - 1].rstrip() + "…"


def _flatten(sections: list[SignerSection]) -> list[ListItem]:
    items = []
    for section in sections:
        items.append(ListItem("section", _one_line(section.title)))
        for group in section.groups:
            if group.heading:
                items.append(ListItem("group", _one_line(group.heading)))
            items.extend(ListItem("signer", line.name, line.detail) for line in group.signers)
    return items


def _paginate(
    items: list[ListItem],
    sizes: list[float],
    *,
    columns: int,
    first_capacity: float,
    capacity: float,
) -> list[list[list[ListItem]]]:
    """Fill columns of `capacity` lines (the first page has less): pages of columns.

    A heading never ends a column (it moves with the first signer under it), a signer is
    never split, and a group that goes on in the next column repeats its heading there.
    The last page's columns are balanced.
    """
    continued_size = _item_lines(ListItem("group", ""), safety=1.0, columns=columns)

    def fill(start, limit, group):
        """Items from `start` that fit in one column of `limit` lines: (column, next)."""
        column, used, index = [], 0.0, start
        if index < len(items) and items[index].kind == "signer" and group is not None:
            # The column starts inside a group: repeat the group's heading.
            column.append(ListItem("group", group.text, continued=True))
            used += continued_size
        while index < len(items):
            item = items[index]
            size = sizes[index] + (_gap(item) if column else 0)
            if item.kind != "signer":
                # Keep headings with the first signer after them.
                lookahead, extra = index + 1, 0.0
                while lookahead < len(items) and items[lookahead].kind != "signer":
                    extra += sizes[lookahead] + _gap(items[lookahead])
                    lookahead += 1
                if lookahead < len(items):
                    extra += sizes[lookahead]
                if column and used + size + extra > limit:
                    break
            elif used + size > limit and any(i.kind == "signer" for i in column):
                break
            column.append(item)
            used += size
            index += 1
        return column, index

    def fill_page(start, limit, group):
        page, index = [], start
        for _column in range(columns):
            if index >= len(items):
                break
            column, index = fill(index, limit, group)
            group = _group_after(column, group)
            page.append(column)
        return page, index, group

    pages: list[list[list[ListItem]]] = []
    index, group, page_starts = 0, None, []
    limit = first_capacity
    while index < len(items):
        page_starts.append((index, group, limit))
        page, index, group = fill_page(index, limit, group)
        pages.append(page)
        limit = capacity

    # Balance the last page: the shortest columns that still hold the rest.
    if pages:
        start, group, high = page_starts[-1]
        low = 1.0
        while high - low > 0.5:
            middle = (low + high) / 2
            trial, index, _group = fill_page(start, middle, group)
            if index >= len(items):
                pages[-1], high = trial, middle
            else:
                low = middle
    return pages


def _group_after(column: list[ListItem], group: ListItem | None) -> ListItem | None:
    """The group a column ends in, given the one it started in."""
    for item in column:
        if item.kind == "section":
            group = None
        elif item.kind == "group" and not item.continued:
            group = item
    return group


# --- rendering ----------------------------------------------------------------------------


@dataclass
class _Shared:
    """Everything the letter and the covers print, gathered once per build."""

    campaign: Campaign
    version: LetterVersion
    sections: list[SignerSection]
    signer_count: int
    date: date_type
    language: str
    counts_by_state: dict[str, int]
    digest: str | None = None

    def fingerprint(self) -> dict:
        return {
            "template": TEMPLATE_VERSION,
            "language": self.language,
            "date": self.date.isoformat(),
            "campaign": [
                self.campaign.title,
                self.campaign.postal_address,
                self.campaign.reply_to_email,
                self.campaign.signer_order,
            ],
            "letter": [self.version.number, self.version.sha256],
            "signers": [
                [
                    section.title,
                    [[g.heading, [[s.name, s.detail] for s in g.signers]] for g in section.groups],
                ]
                for section in self.sections
            ],
        }


def _gather(*, campaign: Campaign, date: date_type | None) -> _Shared:
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        sections = signer_sections(campaign=campaign)
    counts: dict[str, int] = {}
    for state, count in signatures_public_per_state(campaign=campaign):
        counts[state.upper()] = counts.get(state.upper(), 0) + count
    return _Shared(
        campaign=campaign,
        version=letter_version_current(campaign=campaign),
        sections=sections,
        signer_count=sum(section.count for section in sections),
        date=date or timezone.localdate(),
        language=language,
        counts_by_state=counts,
    )


def inputs_hash(shared: _Shared, recipient: Recipient | None) -> str:
    """The cache key: everything printed in the PDF, hashed."""
    if shared.digest is None:
        blob = json.dumps(shared.fingerprint(), ensure_ascii=False, sort_keys=True)
        shared.digest = hashlib.sha256(blob.encode()).hexdigest()
    addressee = json.dumps(asdict(recipient) if recipient else None, ensure_ascii=False)
    return hashlib.sha256(f"{shared.digest}\n{addressee}".encode()).hexdigest()


def _letter_date(shared: _Shared) -> str:
    # Translators: a PHP-style date format for the date printed on letters.
    return date_format(shared.date, pgettext("letter date", "F j, Y"))


def _common_context(shared: _Shared) -> dict:
    version = shared.version
    return {
        "campaign": shared.campaign,
        "version": version,
        "language": shared.language,
        "letter_date": _letter_date(shared),
        "document_title": version.title,
        "signer_count": shared.signer_count,
    }


@dataclass
class _ListLayout:
    mode: str  # "pages" (hand-made columns) or "flow" (CSS columns)
    columns: int
    pages: list = field(default_factory=list)


def _list_layout(shared: _Shared, safety: float) -> _ListLayout:
    """How the signer list is laid out: the column count that needs fewer pages, by hand
    unless the list is short."""
    items = _flatten(shared.sections)
    lines_per_column = LIST_HEIGHT / LINE
    gaps = sum(_gap(item) for item in items)
    words = [_metrics().words(item.full_text) if item.kind == "signer" else None for item in items]
    sizes = {
        columns: [
            _item_lines(item, safety=safety, columns=columns, words=measured)
            for item, measured in zip(items, words, strict=True)
        ]
        for columns in (3, 2)
    }
    columns = 3 if sum(sizes[3]) <= WRAP_TOLERANCE * sum(sizes[2]) else 2
    sizes = sizes[columns]
    total = sum(sizes) + gaps
    if total <= FLOW_MAX_COLUMNS * lines_per_column:
        return _ListLayout("flow", columns)
    pages = _paginate(
        items,
        sizes,
        columns=columns,
        first_capacity=lines_per_column - INTRO_HEIGHT / LINE,
        capacity=lines_per_column,
    )
    return _ListLayout("pages", columns, pages)


def _render(html: str):
    from weasyprint import HTML

    document = HTML(string=html, base_url=_static_base_url(), url_fetcher=url_fetcher()).render(
        font_config=_font_config(),
        stylesheets=[_stylesheet(translation.get_language())],
        pdf_variant=PDF_VARIANT,
    )
    # WeasyPrint keeps the parsed HTML for callers; the laid-out pages do not need it, and
    # its element wrappers weigh tens of megabytes on a long list.
    document._html = None
    return document


def _overflowing_columns(document) -> int:
    """How many hand-laid-out columns came out taller than their page allows."""
    limit = (LIST_HEIGHT + 1) * 4 / 3  # points to CSS pixels
    count = 0
    for page in document.pages:
        for box in page._page_box.descendants(placeholders=True):
            element = getattr(box, "element", None)
            if element is None or "signer-col" not in (element.get("class") or ""):
                continue
            top = float(element.get("data-top", 0)) * 4 / 3
            if top + box.margin_height() > limit:
                count += 1
    return count


def _render_shared(shared: _Shared, *, placeholder_pages: int):
    """Lay out the letter and its signers, after `placeholder_pages` blank pages."""
    context = _common_context(shared)
    context["placeholder_pages"] = range(placeholder_pages)
    context["page_label"] = _page_label_css()
    for safety in (*WIDTH_SAFETY, None):
        if safety is None:
            layout = _ListLayout("flow", _list_layout(shared, WIDTH_SAFETY[0]).columns)
        else:
            layout = _list_layout(shared, safety)
        context.update(
            list_mode=layout.mode,
            list_pages=layout.pages,
            list_columns=layout.columns,
            sections=shared.sections,
            intro_height=INTRO_HEIGHT,
            continued=_("(continued)"),
        )
        html = render_to_string("pdf/letter.html", context)
        document = _render(html)
        if layout.mode == "flow" or not _overflowing_columns(document):
            if len(document.pages) > 20:
                # Layout leaves garbage that the raised threshold (see _rendering) has not
                # collected yet; writing would add its own on top. One collection here costs
                # about a second at 20,000 signers and keeps 80 MB off the peak.
                gc.collect()
            return document
    raise AssertionError("unreachable: the flow layout is always accepted")


def _render_covers(
    shared: _Shared, recipients: list[Recipient], *, total_pages: int, page: int | None = None
):
    """The covers of `recipients` in one document, each from a new page; `page` fixes the
    number in their "Page X of Y" (each cover of a batch is its own page 1)."""
    context = _common_context(shared)
    context.update(
        covers=[_cover_context(shared, recipient) for recipient in recipients],
        page_label=_page_label_css(total_pages, page),
        enclosure=ngettext(
            "the letter (version %(number)s, fingerprint %(hash)s) with its %(count)s signatory",
            "the letter (version %(number)s, fingerprint %(hash)s) with its %(count)s signatories",
            shared.signer_count,
        )
        % {
            "count": intcomma(shared.signer_count),
            "number": shared.version.number,
            "hash": shared.version.short_hash,
        },
    )
    return _render(render_to_string("pdf/cover.html", context))


def _cover_context(shared: _Shared, recipient: Recipient) -> dict:
    state = _state_code(recipient.jurisdiction)
    return {
        "recipient": recipient,
        "salutation": recipient.salutation or _("Dear %(name)s:") % {"name": recipient.name},
        "constituents": shared.counts_by_state.get(state, 0) if state else 0,
        "jurisdiction": recipient.jurisdiction,
    }


def _one_page_covers(shared: _Shared, recipients: list[Recipient], *, total_pages: int) -> list:
    """Each recipient's cover, laid out together with the others: a one-page document each,
    or an empty list when one of them takes more than a page (or the layout fails), so that
    each is laid out alone, and fails alone."""
    try:
        document = _render_covers(shared, recipients, total_pages=total_pages, page=1)
    except Exception:
        logger.warning("Covers could not be laid out together", exc_info=True)
        return []
    if len(document.pages) != len(recipients):
        return []
    return [document.copy([page]) for page in document.pages]


def _copy(shared: _Shared, recipient: Recipient, cover, letter_after) -> tuple[bytes, int]:
    """A recipient's copy and its page count: `cover` (laid out already, one page) or one laid
    out alone, in front of the letter written to follow that many cover pages."""
    cover_pages = 1  # nearly always; a longer cover lays the letter out again
    for _attempt in range(3):
        letter = letter_after(cover_pages)
        total = cover_pages + letter.page_count
        if cover is None:
            cover = _render_covers(shared, [recipient], total_pages=total)
        if len(cover.pages) == cover_pages:
            break
        cover_pages, cover = len(cover.pages), None
    return letter.with_cover(_cover_objects(cover)), total


def _cover_objects(cover):
    """The cover's PDF objects as WeasyPrint builds them, before `write_pdf` would serialize
    and compress them into a file that the merge would only parse back (see pdf_merge).
    Tagged, without the PDF/UA metadata: the copy keeps the letter's."""
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.pdf import generate_pdf

    options = {**DEFAULT_OPTIONS, "pdf_tags": True, "pdf_version": "1.7"}
    return generate_pdf(cover, None, 1, **options)


def _state_code(jurisdiction: str) -> str:
    wanted = jurisdiction.strip().casefold()
    for code, name in US_STATES.items():
        if wanted in (code.casefold(), name.casefold()):
            return code
    return ""


# --- the cache ----------------------------------------------------------------------------


def _cache_dir(campaign: Campaign) -> Path:
    return Path(settings.MEDIA_ROOT) / "pdfs" / f"campaign-{campaign.pk}"


def _cached(campaign: Campaign, key: str) -> BuiltPdf | None:
    directory = _cache_dir(campaign)
    try:
        meta = json.loads((directory / f"{key}.json").read_text())
    except (OSError, ValueError):
        return None
    path = directory / f"{key}.pdf"
    if not path.is_file():
        return None
    return BuiltPdf(
        path=path,
        sha256=meta["sha256"],
        page_count=meta["pages"],
        inputs_hash=key,
        from_cache=True,
    )


def _store(campaign: Campaign, key: str, content: bytes, page_count: int) -> BuiltPdf:
    directory = _cache_dir(campaign)
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(content).hexdigest()
    path = directory / f"{key}.pdf"
    _atomic_write(path, content)
    meta = json.dumps({"sha256": digest, "pages": page_count}).encode()
    _atomic_write(directory / f"{key}.json", meta)
    return BuiltPdf(path=path, sha256=digest, page_count=page_count, inputs_hash=key)


def _atomic_write(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.chmod(temporary, 0o644)  # the letter and its public list: nothing private
        with os.fdopen(handle, "wb") as output:
            output.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- public API ---------------------------------------------------------------------------


def pdf_build(
    *, campaign: Campaign, recipient: Recipient | None = None, date: date_type | None = None
) -> BuiltPdf:
    """The campaign's letter as a PDF (addressed to `recipient` when given), from the cache
    when nothing it prints has changed."""
    if recipient is not None:
        return next(pdf_build_batch(campaign=campaign, recipients=[recipient], date=date))[1]
    shared = _gather(campaign=campaign, date=date)
    key = inputs_hash(shared, None)
    built = _cached(campaign, key)
    if built is not None:
        return built
    with _rendering(), translation.override(shared.language):
        document = _render_shared(shared, placeholder_pages=0)
        content = document.write_pdf(pdf_variant=PDF_VARIANT)
    return _store(campaign, key, content, len(document.pages))


def pdf_build_batch(
    *, campaign: Campaign, recipients: Iterable[Recipient], date: date_type | None = None
) -> Iterator[tuple[Recipient, BuiltPdf]]:
    """One PDF per recipient: their cover, then the shared letter laid out and written once.

    Yields as it goes, so a caller can record each copy before the next is built; copies
    already in the cache are not rebuilt. A copy that cannot be built raises in its turn,
    after the copies before it. Covers are laid out COVER_BATCH at a time.
    """
    shared = _gather(campaign=campaign, date=date)
    letters: dict[int, TaggedLetter] = {}  # the written letter, by number of cover pages

    def letter_after(cover_pages: int) -> TaggedLetter:
        if cover_pages not in letters:
            document = _render_shared(shared, placeholder_pages=cover_pages)
            pages = document.pages[cover_pages:]
            letters[cover_pages] = TaggedLetter(
                document.copy(pages).write_pdf(pdf_variant=PDF_VARIANT)
            )
        return letters[cover_pages]

    for chunk in batched(recipients, COVER_BATCH):
        keys = [inputs_hash(shared, recipient) for recipient in chunk]
        copies = [_cached(campaign, key) for key in keys]
        covers = None  # the chunk's covers, laid out when its first copy is built
        for recipient, key, built in zip(chunk, keys, copies, strict=True):
            if built is None:
                with _rendering(), translation.override(shared.language):
                    if covers is None:
                        missing = [r for r, b in zip(chunk, copies, strict=True) if b is None]
                        pages = 1 + letter_after(1).page_count
                        covers = iter(_one_page_covers(shared, missing, total_pages=pages))
                    content, total = _copy(shared, recipient, next(covers, None), letter_after)
                built = _store(campaign, key, content, total)
            yield recipient, built


# What leads see on the preview's cover (`?cover=1`); never sent to anyone.
SAMPLE_RECIPIENT = Recipient(
    key="sample",
    name="Jane Doe",
    honorific="The Honorable",
    title="State Senator, District 43",
    chamber="Washington State Senate",
    jurisdiction="Washington",
    address_lines=("PO Box 40443", "Olympia, WA 98504-0443"),
    salutation="Dear Senator Doe:",
)


def recipient_for_id(identifier: str) -> Recipient:
    """The recipient `build_pdf --recipient ID` addresses: a legislator of the directory, by
    its number, its Open States person id or its bioguide id (LookupError if none)."""
    query = Q(source_id=identifier.strip())
    if identifier.strip().isdigit():
        query |= Q(pk=int(identifier))
    legislator = Legislator.objects.filter(query).order_by("-active", "pk").first()
    if legislator is None:
        raise LookupError(identifier)
    return legislator_recipient(legislator)


# "State Capitol Room 1210, P.O. Box 94604, Lincoln, NE 68509": the town, state and ZIP code
# stay together on the last line of the address.
# Congress writes "511 Hart Senate Office Building Washington DC 20510", without commas.
_TOWN_LINE = re.compile(
    r"(?:^|,\s*|\s)((?:[^,]+,\s*[A-Z]{2}|Washington,?\s+D\.?C\.?)\.?\s+\d{5}(?:-\d{4})?)\s*$",
    re.IGNORECASE,
)


def address_lines(address: str) -> tuple[str, ...]:
    """An office address, as one string in the directory, split into the lines of an envelope."""
    lines: list[str] = []
    for part in re.split(r"[;\n]+", address):
        part = " ".join(part.split()).strip(" ,")
        if not part:
            continue
        town = _TOWN_LINE.search(part)
        head, tail = (part[: town.start()], town.group(1)) if town else (part, "")
        lines += [piece.strip() for piece in head.split(",") if piece.strip()]
        if tail:
            lines.append(" ".join(tail.split()))
    return tuple(lines)


def mailing_office(legislator: Legislator) -> dict:
    """The office a letter is addressed to: the capitol office, else the first with an address."""
    offices = [o for o in legislator.offices or [] if isinstance(o, dict) and o.get("address")]
    for office in offices:
        if office.get("classification") == "capitol":
            return office
    return offices[0] if offices else {}


def legislator_recipient(legislator: Legislator) -> Recipient:
    """The addressee of a legislator's copy: name, seat, chamber and capitol address."""
    # Congress members are counted with the signers of the state they represent.
    jurisdiction = (
        US_STATES.get(legislator.state, legislator.state)
        if legislator.source == Legislator.Source.CONGRESS
        else legislator.jurisdiction_name
    )
    salutation = ""
    if legislator.title and legislator.family_name:
        salutation = _("Dear %(title)s %(name)s:") % {
            "title": legislator.title,
            "name": legislator.family_name,
        }
    return Recipient(
        key=f"{legislator.source}:{legislator.source_id}",
        name=legislator.name,
        honorific=_("The Honorable"),
        title=legislator.seat,
        chamber=legislator.body,
        jurisdiction=jurisdiction,
        address_lines=address_lines(mailing_office(legislator).get("address", "")),
        salutation=salutation,
    )
