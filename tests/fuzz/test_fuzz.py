"""Fuzzing every URL pattern and every form of the site with hypothesis.

For each URL pattern (read from the URLconf; admin and allauth pages excepted) the crawl
(tests/fuzz/site.py) found pages of, two kinds of requests are drawn:

- the page itself with any method, odd query parameters and path parts, any body in any
  content type and odd headers;
- each form that submits to it, as a person fills it in (every box ticked, the first real
  option chosen, plausible text in empty fields), with up to three fields changed to any
  text (control characters, NUL, every plane of Unicode, 100,000 characters), emptied,
  dropped, repeated or set to an option that is not offered, extra fields, another method
  or another encoding. A NUL in every field is always among the examples.

Requests come from the visitor who reached the page (anonymous, or the owner of every
campaign in the lead area), sometimes from another: a signed-in visitor on public pages, a
co-lead who may only look or a stranger on the lead pages (who may change nothing there).

The email providers' webhooks get any body, in any content type, with and without the
basic-auth secret. The rules every answer is held to are in tests/fuzz/harness.py: never a
5xx, and certainly invalid input changes nothing.

Speed: the world and the crawl are made once (a few seconds); each example is a savepoint
rolled back. The number of examples follows the hypothesis profile: `ci` (the default,
derandomized so that CI is reproducible, no example database) or `thorough`
(`HYPOTHESIS_PROFILE=thorough make test`: ten times as many, random, failures kept in
var/hypothesis/examples/). Profiles are registered in tests/conftest.py.

The examples are drawn inside each test by an inner @given function, not by @given on the
test itself: the test's fixtures (the client, the crawl) are meant to be shared by every
example, and each example resets what it changed (see harness.send).
"""

import base64
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from .harness import Fuzzed, invalid_because, send
from .site import Form, fuzzed_patterns, query_pairs, webhook_routes
from .strategies import (
    ANY_TEXT,
    HEADER_TEXT,
    METHODS,
    NASTY,
    QUERY_VALUE,
    VALUE,
    body,
    encode,
    headers,
    valid_value,
)
from .world import visitors

pytestmark = pytest.mark.django_db

WEBHOOKS = webhook_routes()
PATTERNS = [name for name in fuzzed_patterns() if name not in WEBHOOKS]
# Forms fuzzed per URL pattern (the same form on several pages counts once).
FORMS_PER_PATTERN = 5


def examples(n: int) -> settings:
    """`n` examples under the default profile, scaled with the profile's max_examples."""
    return settings(max_examples=max(1, n * settings.default.max_examples // 100))


@pytest.fixture
def fuzz(fuzz_site):
    world, site = fuzz_site
    return site, visitors(world)


# --- Drawing requests -----------------------------------------------------------------------

# What happens to a field chosen for a change (the others are sent as a person fills them).
CHANGES = ["value", "value", "option", "drop", "empty", "many"]


def _filled(fld) -> list[str]:
    """What a person filling in the form sends for this field: every box ticked, the first
    real option of a select, something plausible in an empty text field."""
    if fld.kind == "checkbox":
        return list(fld.options)
    if fld.values and any(v.strip() for v in fld.values):
        return list(fld.values)
    if fld.kind in ("select", "radio"):
        return [o for o in fld.options if o][:1] or fld.options[:1]
    if fld.kind == "hidden":
        return list(fld.values)
    return [valid_value(fld.kind)]


@st.composite
def changed_values(draw, fld) -> list[str]:
    change = draw(st.sampled_from(CHANGES))
    if change == "value":
        return [draw(VALUE)]
    if change == "option":
        if fld.kind == "checkbox" and fld.options:
            return draw(st.lists(st.sampled_from(fld.options), unique=True))
        if fld.options:
            return [draw(st.sampled_from(fld.options))]
        return [draw(st.sampled_from(NASTY))]
    if change == "drop":
        return []
    if change == "empty":
        return [""]
    return [*_filled(fld), draw(VALUE)]


def _names(site) -> list[str]:
    names = sorted({name for form in site.forms for name in form.fields})
    return [*names, "page", "via", "next", "ids", "cover", "status", "q", "action"]


def _others(visitor: str) -> list[str]:
    """Who else may try: a co-lead who may only look and a stranger, on the lead pages;
    someone signed in (whose pages are not cached publicly), on the public ones."""
    return ["viewer", "anonymous"] if visitor == "owner" else ["owner"]


def visitor_for(default: str):
    return st.sampled_from([default] * 6 + _others(default))


@st.composite
def form_submission(draw, form: Form, visitor: str, names: list[str]) -> Fuzzed:
    data: dict[str, list[str]] = {}
    names_ = list(form.fields)
    changed = draw(st.lists(st.sampled_from(names_), max_size=3, unique=True)) if names_ else []
    for fld in form.fields.values():
        values = draw(changed_values(fld)) if fld.name in changed else _filled(fld)
        if values:
            data[fld.name] = values
    pairs = [(name, value) for name, values in data.items() for value in values]
    if form.buttons:
        button = draw(st.sampled_from([*form.buttons, None]))
        if button is not None:
            name, value = button
            value = draw(st.sampled_from([value, value, value]) | VALUE)
            pairs.append((name, value))
    extra = draw(st.lists(st.tuples(st.sampled_from(names) | ANY_TEXT, VALUE), max_size=2))
    for name, value in extra:
        data.setdefault(name, []).append(value)
    pairs += extra
    method = draw(st.sampled_from([form.method] * 12 + METHODS))
    request = Fuzzed(method=method, path=form.action, visitor=draw(visitor_for(visitor)))
    if method in ("GET", "HEAD"):
        path = urlsplit(form.action).path
        # As a server hands it on: it refuses longer request lines itself.
        request.path = f"{path}?{urlencode([(n, v[:300]) for n, v in pairs])}"
        request.invalid = "a GET"
    else:
        request.body, request.content_type, readable = draw(body(pairs))
        request.headers = draw(headers(same_origin=True))
        request.invalid = invalid_because(form, data if readable else {}) or ""
    return request


def _path_parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


@st.composite
def odd_request(draw, urls: list[str], visitor: str, names: list[str]) -> Fuzzed:
    """The page with any method, odd path parts, query and body, and odd headers."""
    url = draw(st.sampled_from(urls))
    path = urlsplit(url).path
    change = draw(st.sampled_from(["none", "none", "part", "append"]))
    parts = _path_parts(path)
    if change == "part" and parts:
        index = draw(st.integers(0, len(parts) - 1))
        replacement = draw(QUERY_VALUE)
        parts[index] = quote(replacement, safe="")
        path = "/" + "/".join(parts) + ("/" if path.endswith("/") else "")
    elif change == "append":
        path = path + quote(draw(ANY_TEXT), safe="") + draw(st.sampled_from(["", "/", ".pdf"]))
    query = query_pairs(url)
    query += draw(st.lists(st.tuples(st.sampled_from(names) | ANY_TEXT, QUERY_VALUE), max_size=3))
    method = draw(st.sampled_from(["GET", "GET", "GET", *METHODS]))
    request = Fuzzed(
        method=method,
        path=f"{path}?{urlencode(query)}" if query else path,
        visitor=draw(visitor_for(visitor)),
    )
    if method not in ("GET", "HEAD") or draw(st.booleans()):
        pairs = draw(st.lists(st.tuples(st.sampled_from(names) | ANY_TEXT, VALUE), max_size=4))
        request.body, request.content_type, _readable = draw(body(pairs))
    request.headers = draw(headers(same_origin=method == "POST"))
    if draw(st.integers(0, 5)) == 0:
        request.cookies = {"django_language": draw(HEADER_TEXT.filter(lambda v: ";" not in v))}
    if method == "POST":
        # Any form of this page would need its fields: unknown, so not judged as invalid.
        request.invalid = ""
    return request


# --- The tests --------------------------------------------------------------------------------


def nul_in_every_field(form: Form, visitor: str) -> Fuzzed:
    """The form as a person fills it, a NUL character added to every field: always tried,
    since PostgreSQL refuses NUL in text and SQLite stores it."""
    data = {}
    for fld in form.fields.values():
        filled = _filled(fld)
        data[fld.name] = [(filled[0] if filled else "") + "\x00"]
    pairs = [(name, value) for name, values in data.items() for value in values]
    if form.method == "GET":
        path = f"{urlsplit(form.action).path}?{urlencode(pairs)}"
        return Fuzzed("GET", path, invalid="a GET", visitor=visitor)
    content, content_type = encode(pairs, "urlencoded")
    return Fuzzed(
        "POST",
        form.action,
        body=content,
        content_type=content_type,
        headers={"HTTP_ORIGIN": "http://testserver"},
        invalid=invalid_because(form, data) or "",
        visitor=visitor,
    )


def nul_in_every_parameter(url: str, visitor: str, names: list[str]) -> Fuzzed:
    query = [*query_pairs(url), *((name, "\x00") for name in names)]
    path = f"{urlsplit(url).path}?{urlencode(query)}"
    return Fuzzed("GET", path, invalid="a GET", visitor=visitor)


def _fuzz_page(clients, name: str, urls: list[str], visitor: str, names: list[str]) -> None:
    @examples(12)
    @example(nul_in_every_parameter(urls[0], visitor, names))
    @given(odd_request(urls, visitor, names))
    def odd_requests(request):
        send(clients[request.visitor], request, target=name)

    odd_requests()


def _fuzz_form(clients, name: str, form: Form, visitor: str, names: list[str]) -> None:
    @examples(20)
    @example(nul_in_every_field(form, visitor))
    @given(form_submission(form, visitor, names))
    def submissions(request):
        note(f"the form on {form.page}")
        send(clients[request.visitor], request, target=name)

    submissions()


@pytest.mark.parametrize("name", PATTERNS)
def test_no_server_error_and_invalid_input_changes_nothing(fuzz, name):
    site, clients = fuzz
    assert site.reached(name), (
        f"No page of {name} was reached by the crawl: link it from a page or add a seed "
        "URL in tests/fuzz/site.py (seeds), so that it is fuzzed."
    )
    names = _names(site)
    urls = site.urls.get(name, [])
    if urls:
        visitor = urls[0][1]
        same_visitor = [url for url, who in urls if who == visitor]
        _fuzz_page(clients, name, same_visitor, visitor, names)
    for form, visitor in site.forms_for(name)[:FORMS_PER_PATTERN]:
        _fuzz_form(clients, name, form, visitor, names)


# --- Email providers' webhooks ------------------------------------------------------------

WEBHOOK_SECRET = "fuzz-hook:long-random-secret-for-the-tests"


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode("utf-8")).decode()


@st.composite
def webhook_request(draw, path: str) -> Fuzzed:
    pairs = draw(st.lists(st.tuples(ANY_TEXT, VALUE), max_size=3))
    content, content_type, _readable = draw(body(pairs))
    method = draw(st.sampled_from(["POST"] * 4 + METHODS))
    auth = draw(
        st.sampled_from([WEBHOOK_SECRET, WEBHOOK_SECRET, "", "fuzz-hook:wrong"]) | HEADER_TEXT
    )
    extra = {"HTTP_AUTHORIZATION": _basic(auth)} if auth else {}
    if draw(st.integers(0, 5)) == 0:
        extra["HTTP_AUTHORIZATION"] = draw(HEADER_TEXT)
    return Fuzzed(method=method, path=path, body=content, content_type=content_type, headers=extra)


@pytest.mark.parametrize("name", sorted(WEBHOOKS))
def test_webhooks_answer_any_body_without_a_server_error(fuzz, settings, name):
    _site, clients = fuzz
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}
    client = clients["anonymous"]

    @examples(15)
    @given(webhook_request(WEBHOOKS[name]))
    def deliveries(request):
        send(client, request, target=name)

    deliveries()
