"""Sending one fuzzed request and judging the answer.

Every request must be answered without a server error. And a request that certainly
carries invalid input must leave the database as it was and queue nothing (no email, no
task: `transaction.on_commit` callbacks are counted). "Certainly invalid" is decided
without asking the application:

- any 4xx answer (refused, not found, gone, wrong method, rate limited);
- a request on a campaign's lead pages from anyone but its owner here: a co-lead who may
  only look, or a visitor who is not signed in;
- a method other than POST (GET and HEAD may only write an audit entry, for the downloads
  that are logged; PUT, PATCH, DELETE and the rest nothing at all);
- a POST of a form that breaks what the page itself told the browser: a `required` field
  missing or blank, longer than its `maxlength`, a NUL character in a text field, a value
  that is none of a select's or radio group's options, an address, URL, number or date
  that Django's own field of that type refuses.

Each example runs inside a savepoint that is rolled back afterwards, with the cache and the
client's cookies reset, so examples do not see each other's changes.
"""

import copy
import re
from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation
from hypothesis import event, note
from hypothesis.control import currently_in_test_context

from campaigns.models import AuditEntry

from .site import Form, pattern_name

# GET requests that are themselves logged actions: the lead's downloads.
LOGGED_DOWNLOADS = {"lead:export", "lead:delivery-bundle"}
# Campaign pages where only a co-lead with the role may change anything (accepting an
# invitation is for anyone signed in, with the invited address).
LEAD_AREA = ("lead:", "campaigns:pdf-preview")
# Every table a request could write to, counted before and after.
COUNTED_APPS = ("campaigns", "signatories", "auth", "account", "mfa")

_TYPE_FIELDS = {
    "email": forms.EmailField(required=False),
    "url": forms.URLField(required=False, assume_scheme="https"),
    "date": forms.DateField(required=False),
    "datetime-local": forms.DateTimeField(required=False),
}
_TRAILING_ZEROS = re.compile(r"\.0*\s*$")


def _counted_models():
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in COUNTED_APPS and m._meta.managed and not m._meta.proxy
    ]


def table_counts() -> Counter:
    """Rows in every counted table (one query) and the callbacks queued for after commit."""
    models = _counted_models()
    quote = connection.ops.quote_name
    # Table names from the models, quoted: nothing from a request goes into this SQL.
    selects = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        row = cursor.fetchone()
    counts = Counter({model._meta.label: n for model, n in zip(models, row, strict=True)})
    counts["on_commit callbacks"] = len(connection.run_on_commit)
    return counts


def _as_int(value: str) -> int | None:
    try:
        return int(_TRAILING_ZEROS.sub("", value.strip()))
    except ValueError:
        return None


def _is_option(value: str, options: list[str]) -> bool:
    if value in options or value.strip() in options:
        return True
    number = _as_int(value)
    return number is not None and number in {_as_int(o) for o in options}


def invalid_because(form: Form, data: dict[str, list[str]]) -> str | None:
    """Why the page's own constraints refuse this submission, or None if they do not.

    A NUL character is refused in any text field; the other rules hold for the fields a
    Django form rendered (a hand-written `required` may be the browser's help only).
    """
    for fld in form.fields.values():
        values = data.get(fld.name, [])
        last = values[-1] if values else None
        checked = values if fld.kind == "hidden" else values[-1:]
        if fld.kind != "checkbox" and any("\x00" in value for value in checked):
            return f"{fld.name}: a NUL character"
        if not fld.django:
            continue
        if fld.kind == "checkbox":
            if fld.required and not values:
                return f"{fld.name}: a required box is not ticked"
            continue
        if fld.required and (last is None or not last.strip()):
            return f"{fld.name}: required and missing"
        if last is None:
            continue
        if fld.maxlength is not None and len(last.strip()) > fld.maxlength:
            return f"{fld.name}: longer than {fld.maxlength}"
        offered = fld.kind in ("select", "radio") and not fld.multiple and fld.options
        if offered and last != "" and not _is_option(last, fld.options):
            return f"{fld.name}: not one of the options"
        if fld.kind == "number" and last.strip() and _as_int(last) is None:
            return f"{fld.name}: not a whole number"
        if fld.kind in _TYPE_FIELDS:
            try:
                _TYPE_FIELDS[fld.kind].clean(last)
            except ValidationError:
                return f"{fld.name}: not a valid {fld.kind}"
    return None


@dataclass
class Fuzzed:
    """One request, as drawn."""

    method: str
    path: str
    body: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    # Why the input is certainly invalid ("" when it may be valid).
    invalid: str = ""
    # Who sends it: "anonymous", "owner" (of every campaign) or "viewer" (may only look).
    visitor: str = "anonymous"

    def describe(self) -> str:
        body = self.body[:300] + (b"..." if len(self.body) > 300 else b"")
        return (
            f"{self.visitor}: {self.method} {self.path[:300]} content-type={self.content_type!r} "
            f"headers={ {k: v[:80] for k, v in self.headers.items()} } cookies={self.cookies} "
            f"body={body!r} ({len(self.body)} bytes) invalid={self.invalid!r}"
        )


def _report(text: str, *, statistic: bool = False) -> None:
    """A note for a failing example's report, or a statistic (only inside a hypothesis test)."""
    if currently_in_test_context():
        (event if statistic else note)(text)


def _read(response) -> None:
    """Read the whole body: a streamed one (CSV, PDF) fails while streaming, if at all.
    Reading it to the end also closes it."""
    if response.streaming:
        b"".join(response.streaming_content)


def send(client, request: Fuzzed, *, target: str | None):
    """Send the request in a savepoint rolled back afterwards; check the answer."""
    saved_cookies = copy.deepcopy(client.cookies)
    _report(request.describe())
    try:
        with transaction.atomic():
            for name, value in request.cookies.items():
                client.cookies[name] = value
            before = table_counts()
            response = client.generic(
                request.method,
                request.path,
                request.body,
                content_type=request.content_type,
                **request.headers,
            )
            _read(response)
            after = table_counts()
            transaction.set_rollback(True)
    finally:
        client.cookies = saved_cookies
        cache.clear()
        translation.deactivate()
    _report(f"answer: {response.status_code} {response.get('Location', '')}")
    _report(f"answered {response.status_code}", statistic=True)
    assert response.status_code < 500, f"server error {response.status_code}"
    changed = {
        label: after[label] - before[label]
        for label in after | before
        if after[label] != before[label]
    }
    _report("changed rows" if changed else "changed nothing", statistic=True)
    if not changed:
        return response
    why = _must_not_change(request, response, target)
    if why is None:
        return response
    audit_only = set(changed) == {AuditEntry._meta.label}
    download = request.method in ("GET", "HEAD") and response.status_code == 200
    if download and target in LOGGED_DOWNLOADS and audit_only:
        return response  # a co-lead downloaded it: that is logged
    raise AssertionError(f"{why}, yet it changed {changed}")


def _must_not_change(request: Fuzzed, response, target: str | None) -> str | None:
    if (target or "").startswith(LEAD_AREA) and request.visitor != "owner":
        return f"from a visitor without the right ({request.visitor})"
    if 400 <= response.status_code < 500:
        return f"answered {response.status_code}"
    if request.method in ("GET", "HEAD"):
        return "a GET"
    if request.method != "POST":
        return f"a {request.method}"
    if request.invalid:
        return f"invalid input ({request.invalid})"
    return None


def resolves_to(path: str) -> str | None:
    return pattern_name(path.split("?")[0])
