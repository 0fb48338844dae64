"""What the fuzz tests aim at: every URL pattern of the site, and every form its pages show.

The URL patterns come from the URLconf (`tests.public_pages.url_patterns`), so a new view
gets its own fuzz test without anyone editing this package. Concrete URLs are found by
crawling: starting from the home pages (anonymously and as the campaigns' owner), every
link and form action on a page that leads to a pattern of the site is followed. Forms are
read from the pages as a browser sees them: their fields, the values a browser would send,
and the constraints Django rendered into the markup (`required`, `maxlength`, the options
of a select). Those constraints tell the fuzz tests when an input is certainly invalid.

Links that only arrive by email (tokens) and pages whose forms appear only for a query
(a filter with matches, a search with results) are seeds; a pattern the crawl does not
reach fails its fuzz test with a message saying where to add a seed.
"""

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.urls import Resolver404, resolve, reverse

from tests.public_pages import url_patterns

from .world import FuzzWorld

# Third-party areas left out: Django's admin and allauth's account pages are their own
# projects' to test; the lead area's pages link to them only for signing in and out.
EXCLUDED_AREAS = ("admin/", "accounts/")
# Webhooks of email providers are not linked from any page; each is its own target.
WEBHOOK_AREA = "anymail/"
# Downloads (PDFs take a second each to build) are recorded by the crawl, not fetched.
FILE_SUFFIXES = (".pdf", ".zip", ".csv")


def _route_area(route: str) -> str:
    return route.lstrip("^")


def fuzzed_patterns() -> list[str]:
    """Names of every URL pattern the fuzz tests cover, in URLconf order."""
    names = []
    for route, name in url_patterns():
        if _route_area(route).startswith(EXCLUDED_AREAS) or name in names:
            continue
        names.append(name)
    return names


def webhook_routes() -> dict[str, str]:
    """{name: path} of the email providers' webhooks (their routes have no parameters)."""
    routes = {}
    for route, name in url_patterns():
        area = _route_area(route)
        if area.startswith(WEBHOOK_AREA):
            path = area.replace("(_mime)?", "").rstrip("$")
            routes[name] = "/" + path
    return routes


def pattern_name(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


# --- Forms as a browser reads them ---------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # an input type ("text", "checkbox", "hidden"…), "textarea" or "select"
    values: list[str] = field(default_factory=list)  # what a browser sends untouched
    options: list[str] = field(default_factory=list)  # select options / radio values
    required: bool = False
    maxlength: int | None = None
    multiple: bool = False
    # Rendered by a Django form (its id is Django's `id_<name>`): then `required`,
    # `maxlength` and the options are the server's own rules, not only the browser's.
    django: bool = False


@dataclass
class Form:
    page: str  # the URL of the page showing it
    method: str  # "GET" or "POST"
    action: str  # path and query string
    fields: dict[str, Field] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # named submit buttons

    @property
    def target(self) -> str | None:
        return pattern_name(self.action)

    @property
    def signature(self) -> tuple:
        return (self.method, self.target, tuple(sorted(self.fields)), tuple(self.buttons))


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.by_id: dict[str, Form] = {}
        self.current: Form | None = None
        self.select: Field | None = None
        self.option: dict | None = None
        self.textarea: Field | None = None

    def _form_for(self, attrs) -> Form | None:
        owner = attrs.get("form")
        return self.by_id.get(owner) if owner else self.current

    def _field(self, form: Form, name: str, kind: str, attrs) -> Field:
        existing = form.fields.get(name)
        if existing is not None:
            return existing
        maxlength = attrs.get("maxlength")
        created = Field(
            name=name,
            kind=kind,
            required="required" in attrs,
            maxlength=int(maxlength) if maxlength and maxlength.isdigit() else None,
            multiple="multiple" in attrs,
            django=bool(re.fullmatch(rf"id_{re.escape(name)}(_\d+)?", attrs.get("id", ""))),
        )
        form.fields[name] = created
        return created

    def handle_starttag(self, tag, attrs_list):
        attrs = {name: value or "" for name, value in attrs_list}
        if tag == "form":
            action = urljoin(self.page, attrs.get("action", "")).split("#")[0]
            parts = urlsplit(action)
            self.current = Form(
                page=self.page,
                method=(attrs.get("method") or "get").upper(),
                action=parts.path + (f"?{parts.query}" if parts.query else ""),
            )
            self.forms.append(self.current)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self.current
            return
        form = self._form_for(attrs)
        name = attrs.get("name")
        if form is None:
            return
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in ("submit", "image"):
                form.buttons.append((name, attrs.get("value", "")))
                return
            if kind in ("button", "reset", "file"):
                return
            fld = self._field(form, name, kind, attrs)
            value = attrs.get("value", "on" if kind == "checkbox" else "")
            if kind in ("checkbox", "radio"):
                fld.options.append(value)
                if "checked" in attrs:
                    fld.values.append(value)
            else:
                fld.values.append(value)
        elif tag == "button" and name and attrs.get("type", "submit") == "submit":
            form.buttons.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self.select = self._field(form, name, "select", attrs)
        elif tag == "option" and self.select is not None:
            self.option = {"value": attrs.get("value"), "selected": "selected" in attrs, "text": ""}
        elif tag == "textarea" and name:
            self.textarea = self._field(form, name, "textarea", attrs)
            self.textarea.values.append("")

    def handle_data(self, data):
        if self.option is not None:
            self.option["text"] += data
        elif self.textarea is not None:
            self.textarea.values[-1] += data

    def _close_option(self):
        if self.option is None or self.select is None:
            return
        value = self.option["value"]
        value = self.option["text"].strip() if value is None else value
        self.select.options.append(value)
        if self.option["selected"]:
            self.select.values.append(value)
        self.option = None

    def handle_endtag(self, tag):
        if tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_option()
            select = self.select
            if select is not None and not select.values and select.options and not select.multiple:
                select.values.append(select.options[0])  # what a browser sends
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            value = self.textarea.values[-1]
            self.textarea.values[-1] = value[1:] if value.startswith("\n") else value
            self.textarea = None
        elif tag == "form":
            self.current = None


def forms_on(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    parser.close()
    return parser.forms


class _LinkParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs_list):
        attrs = dict(attrs_list)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def links_on(html: str) -> list[str]:
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.links


# --- Crawling -------------------------------------------------------------------------------


def seeds(world: FuzzWorld) -> dict[str, list[str]]:
    """Where the crawl starts, as each kind of visitor: "anonymous" and "owner"."""
    open_slug, closed_slug = world.open.slug, world.closed.slug
    tokens = world.tokens
    duplicates = world.open.signatures.filter(organization_name__startswith="Harbor Light")
    merge = reverse("lead:signatures-merge", kwargs={"slug": open_slug})
    recipients = reverse("lead:recipients", kwargs={"slug": closed_slug})
    invalidate = reverse("lead:invalidate", kwargs={"slug": open_slug})
    anonymous = [
        "/",
        reverse("healthz"),
        reverse("signatories:confirm", kwargs={"token": tokens["confirm"]}),
        reverse("signatories:withdraw", kwargs={"token": tokens["withdraw"]}),
        reverse("signatories:reconfirm", kwargs={"token": tokens["reconfirm"]}),
        reverse("signatories:confirm-by-code"),
        reverse("signatories:resend"),
        reverse("privacy:request"),
        reverse("privacy:copy", kwargs={"token": tokens["data_request"]}),
        reverse("privacy:erase", kwargs={"token": tokens["erasure"]}),
        *(reverse("signatories:json", kwargs={"slug": c.slug}) for c in world.campaigns),
        *(reverse("campaigns:receipt", kwargs={"slug": c.slug}) for c in world.campaigns),
        *(reverse("signatories:signed", kwargs={"slug": c.slug}) for c in world.campaigns),
        reverse("signatories:sign", kwargs={"slug": open_slug}),
        reverse("campaigns:detail", kwargs={"slug": open_slug}) + "?via=allies",
        reverse("campaigns:versions", kwargs={"slug": open_slug}),
        "/es/",
    ]
    owner = [
        reverse("lead:home"),
        reverse("lead:invitation-accept", kwargs={"token": tokens["invitation"]}),
        reverse("campaigns:pdf-preview", kwargs={"slug": open_slug}),
        # Forms that appear for a query: a filter with matches, a search with results, a
        # preview of what a bulk invalidation would touch, a merge of checked rows.
        f"{recipients}?jurisdiction=wa",
        f"{recipients}?q=Senator",
        f"{invalidate}?domain=spam.example",
        f"{merge}?{urlencode({'ids': [s.pk for s in duplicates]}, doseq=True)}",
    ]
    return {"anonymous": anonymous, "owner": owner}


@dataclass
class Site:
    """What the crawl found: URLs by pattern name (with who fetched them), and forms."""

    urls: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    forms: list[Form] = field(default_factory=list)
    form_visitor: dict[int, str] = field(default_factory=dict)

    def reached(self, name: str) -> bool:
        return bool(self.urls.get(name)) or any(form.target == name for form in self.forms)

    def forms_for(self, name: str) -> list[tuple[Form, str]]:
        """Distinct forms that submit to the pattern, with who saw them."""
        seen, found = set(), []
        for form in self.forms:
            if form.target == name and form.signature not in seen:
                seen.add(form.signature)
                found.append((form, self.form_visitor[id(form)]))
        return found


def _body(response) -> bytes:
    """The whole body; reading a streamed one to its end also closes it (and its file)."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _campaign_of(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).kwargs.get("slug")
    except Resolver404:
        return None


def crawl(world: FuzzWorld, clients: dict) -> Site:
    """Breadth-first from the seeds. Each visitor follows the links to the site's patterns;
    of the pages found that way, one per URL pattern and campaign is fetched (different
    campaigns show different forms), the seeds always."""
    site = Site()
    fuzzed = set(fuzzed_patterns())
    queue = deque((visitor, url, True) for visitor, urls in seeds(world).items() for url in urls)
    visited, fetched = set(), set()
    while queue:
        visitor, url, is_seed = queue.popleft()
        name = pattern_name(url)
        key = (name, _campaign_of(url))
        if (visitor, url) in visited or name not in fuzzed or (key in fetched and not is_seed):
            continue
        visited.add((visitor, url))
        fetched.add(key)
        site.urls.setdefault(name, []).append((url, visitor))
        if urlsplit(url).path.endswith(FILE_SUFFIXES):
            continue  # a download has no links or forms; its fuzz test fetches it
        response = clients[visitor].get(url)
        body = _body(response)
        if response.status_code in (301, 302) and response.get("Location", "").startswith("/"):
            queue.append((visitor, response["Location"], False))
        if "text/html" not in response.get("Content-Type", ""):
            continue
        html = body.decode("utf-8", errors="replace")
        for form in forms_on(url, html):
            site.forms.append(form)
            site.form_visitor[id(form)] = visitor
            form.fields.pop("csrfmiddlewaretoken", None)  # the test client skips the check
        for href in links_on(html):
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            queue.append((visitor, path, False))
    return site


def query_pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)
