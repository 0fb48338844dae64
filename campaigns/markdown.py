"""Letters are written in Markdown; this turns them into HTML that is safe on any page.

Raw HTML in the source is escaped by the parser (html=False) and the output is cleaned
again by nh3, so a <script>, an event handler or a javascript: link never survives.
"""

import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
    ["replacements", "smartquotes", "table", "strikethrough"]
)

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
_HEADING = re.compile(r"<(/?)h([1-6])>")


def render_markdown(text: str, *, heading_offset: int = 0) -> SafeString:
    """Markdown to sanitized HTML; heading_offset demotes headings (1 makes # an <h2>)."""
    html = _parser.render(text)
    if heading_offset:
        html = _HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + heading_offset, 6)}>", html)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just sanitized it
