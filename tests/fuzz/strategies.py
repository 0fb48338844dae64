"""Hypothesis strategies for hostile HTTP requests: text, values, bodies, headers, methods."""

import json
from datetime import timedelta

from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone
from hypothesis import strategies as st

# Any code point a request can carry: every plane, NUL and the other control characters
# included. Surrogates cannot be encoded in UTF-8, so no HTTP request has them.
ANY_CHAR = st.characters(codec="utf-8")
ANY_TEXT = st.text(ANY_CHAR, max_size=30)

# Values that have broken web applications before.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\u202eevil",
    "\ufeff",
    "\u200b",
    "\U0010ffff",
    "\U0001f642",
    "١٢٣",
    "１２",
    "0",
    "-1",
    "1.5",
    "1e400",
    "NaN",
    "9" * 30,
    "-" + "9" * 30,
    "None",
    "null",
    "true",
    "on",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "%00",
    "%",
    "../../etc/passwd",
    "//evil.example",
    "http://[",
    "javascript:alert(1)",
    "a@b",
    "@",
    "x@" + "a" * 300 + ".example",
    "2026-02-30",
    "2026-13-01T25:61",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
]


def _huge(seed: str, size: int) -> str:
    seed = seed or "x"
    return (seed * (size // len(seed) + 1))[:size]


# 100,000 characters (up to 400 KB of UTF-8, which url-encoded passes the 1 MiB request
# limit: that request must be refused with a 400, not a 500).
HUGE = st.builds(
    _huge, st.sampled_from(["x", "é", "\x00", "9", "\U0010ffff", "a b "]), st.just(100_000)
)

_SEEDS = st.sampled_from(["x", "é", "\x00", "9", "\U0010ffff", "a b "])
VALUE = st.one_of(ANY_TEXT, st.sampled_from(NASTY), HUGE, st.builds(_huge, _SEEDS, st.just(2000)))

# In a query string or a path: servers refuse request lines over a few kilobytes before
# Django sees them (gunicorn at 4 KB), so values there stay short.
QUERY_VALUE = st.one_of(ANY_TEXT, st.sampled_from(NASTY), st.builds(_huge, _SEEDS, st.just(300)))

# Header values as a server hands them on: Latin-1 text without line breaks.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
)

METHODS = ["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]


def valid_value(kind: str) -> str:
    """What a person would type into an empty field of this kind."""
    tomorrow = timezone.localtime() + timedelta(days=1)
    return {
        "email": "fuzz.person@example.org",
        "url": "https://fuzz.example/",
        "number": "3",
        "date": tomorrow.strftime("%Y-%m-%d"),
        "datetime-local": tomorrow.strftime("%Y-%m-%dT%H:%M"),
        "textarea": "A letter.\n\nWith two paragraphs.",
    }.get(kind, "fuzz-value")


def json_values():
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
        max_leaves=8,
    )


ODD_CONTENT_TYPES = [
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/json",
    "application/xml",
    "text/plain",
    "",
    "*/*",
    "\x00",
]


def encode(pairs: list[tuple[str, str]], encoding: str) -> tuple[bytes, str]:
    """A request body carrying `pairs` the way `encoding` says: (body, content type)."""
    from urllib.parse import urlencode

    if encoding == "urlencoded":
        return urlencode(pairs).encode(), "application/x-www-form-urlencoded"
    if encoding == "multipart":
        data = {}
        for name, value in pairs:
            data.setdefault(name, []).append(value)
        return encode_multipart(BOUNDARY, data), MULTIPART_CONTENT
    if encoding == "json":
        return json.dumps(dict(pairs)).encode(), "application/json"
    if encoding == "text":
        return urlencode(pairs).encode(), "text/plain"
    raise ValueError(encoding)


# How a body is sent: mostly as a browser does, sometimes as nothing on the site expects.
ENCODINGS = ["urlencoded"] * 5 + ["multipart", "json", "text", "raw"]


@st.composite
def body(draw, pairs: list[tuple[str, str]]) -> tuple[bytes, str, bool]:
    """(body, content type, whether Django will read `pairs` from it as POST data)."""
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding == "raw":
        raw = draw(st.binary(max_size=200) | json_values().map(lambda v: json.dumps(v).encode()))
        content_type = draw(st.sampled_from(ODD_CONTENT_TYPES) | HEADER_TEXT)
        return raw, content_type, False
    data, content_type = encode(pairs, encoding)
    return data, content_type, encoding in ("urlencoded", "multipart")


@st.composite
def headers(draw, *, same_origin: bool) -> dict[str, str]:
    """Extra request headers: usually a browser's, sometimes odd ones."""
    extra = {}
    origin = draw(
        st.sampled_from(["same"] * 8 + ["none", "null", "other", "broken", "referer"])
        if same_origin
        else st.sampled_from(["none", "none", "other", "broken", "referer"])
    )
    if origin == "same":
        extra["HTTP_ORIGIN"] = "http://testserver"
    elif origin == "null":
        extra["HTTP_ORIGIN"] = "null"
    elif origin == "other":
        extra["HTTP_ORIGIN"] = "https://elsewhere.example"
    elif origin == "broken":
        extra["HTTP_ORIGIN"] = draw(st.sampled_from(["http://[", "://", "http://testserver:x"]))
    elif origin == "referer":
        extra["HTTP_REFERER"] = draw(
            st.sampled_from(["http://testserver/", "http://[", "http://testserver:99999/"])
            | HEADER_TEXT
        )
    for header in ("HTTP_ACCEPT_LANGUAGE", "HTTP_USER_AGENT", "HTTP_IF_NONE_MATCH"):
        if draw(st.integers(0, 4)) == 0:
            extra[header] = draw(
                HEADER_TEXT | st.sampled_from(["es", "*", "es-MX;q=x", "x" * 5000])
            )
    return extra
