"""Import the legislator directory from Open States `people` and congress-legislators YAML.

Both importers work in two steps. First every file is read and checked, without touching
the database: a malformed file stops the import with its name and line, so nothing from it
(or from any other file of that run) is half-written. Then one transaction writes the
result with bulk queries: new people are created, changed ones updated, and people of the
imported jurisdictions who are no longer listed as current are marked inactive (never
deleted: deliveries point at them). A content hash of the imported values tells
"unchanged" from "updated" without comparing field by field, so a second run of the same
files writes nothing.

Which role is current: a legislative role (`upper`, `lower`, `legislature`) that has started
(no `start_date`, or one on or before the import date) and has not ended (no `end_date`, or
one on or after the import date). When several are current, the one that started last
wins; on a tie, the one listed last. A role listed twice, once with an end date that has
passed, has ended. People with no current legislative role are skipped with the reason
(naming the office they hold now, when the file says), and so retired if an earlier
import had them.
"""

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from signatories.regions import US_STATES

from .models import Committee, CommitteeMembership, Legislator

try:  # libyaml's loader is about ten times faster; fall back when PyYAML lacks it.
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as YamlLoader

Progress = Callable[[str, int, int], None]

LEGISLATIVE_ROLES = ("upper", "lower", "legislature")
BATCH = 500
CONGRESS = "us"
CONGRESS_NAME = "U.S. Congress"
# Congress members from these places are delegates (Puerto Rico: Resident Commissioner).
DELEGATE_STATES = {"AS", "DC", "GU", "MP", "VI"}

# What a state calls its lower chamber and its members, where it is not a "House".
LOWER_TITLES = {
    "ca": "Assembly Member",
    "nv": "Assembly Member",
    "ny": "Assembly Member",
    "wi": "Assembly Member",
    "nj": "Assembly Member",
    "md": "Delegate",
    "va": "Delegate",
    "wv": "Delegate",
}
LOWER_BODIES = {
    "ca": "California State Assembly",
    "nv": "Nevada Assembly",
    "ny": "New York State Assembly",
    "wi": "Wisconsin State Assembly",
    "nj": "New Jersey General Assembly",
    "md": "Maryland House of Delegates",
    "va": "Virginia House of Delegates",
    "wv": "West Virginia House of Delegates",
    "pr": "Puerto Rico House of Representatives",
}
UPPER_BODIES = {"pr": "Senate of Puerto Rico"}
UNICAMERAL = {
    "ne": ("Senator", "Nebraska Legislature"),
    "dc": ("Councilmember", "Council of the District of Columbia"),
}

LEGISLATOR_FIELDS = [
    "name",
    "given_name",
    "family_name",
    "sort_name",
    "title",
    "body",
    "jurisdiction",
    "jurisdiction_name",
    "state",
    "chamber",
    "district",
    "party",
    "email",
    "contact_form_url",
    "website",
    "offices",
]
_MAX_LENGTHS = {
    name: Legislator._meta.get_field(name).max_length
    for name in LEGISLATOR_FIELDS
    if name != "offices"
}
_JURISDICTION_ID = re.compile(r"country:us/(?:state|territory|district):([a-z]{2})/")


class LegislatorImportError(Exception):
    """A file could not be read as YAML (or the folder is not what was expected)."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None):
        super().__init__(message)
        self.file = file
        self.line = line


@dataclass(frozen=True)
class Skipped:
    file: str
    record: str
    reason: str

    def __str__(self):
        if self.record:
            return f"{self.file}: {self.record}: {self.reason}"
        return f"{self.file}: {self.reason}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    committees_created: int = 0
    committees_updated: int = 0
    committees_unchanged: int = 0
    committees_removed: int = 0
    memberships_added: int = 0
    memberships_changed: int = 0
    memberships_removed: int = 0

    @property
    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"retired {self.retired}, skipped {len(self.skipped)}"
        )

    @property
    def committees_summary(self) -> str:
        return (
            f"committees: created {self.committees_created}, "
            f"updated {self.committees_updated}, unchanged {self.committees_unchanged}, "
            f"removed {self.committees_removed}; memberships: added {self.memberships_added}, "
            f"changed {self.memberships_changed}, removed {self.memberships_removed}"
        )


@dataclass
class _Member:
    committee_id: str
    person_id: str
    role: str
    file: str
    label: str


@dataclass
class _Parsed:
    """What a run read from its files, ready to write."""

    source: str
    people_scope: set[str] = field(default_factory=set)
    committee_scope: set[str] = field(default_factory=set)
    people: dict[str, dict] = field(default_factory=dict)
    people_files: dict[str, str] = field(default_factory=dict)
    # Ids of records skipped for bad data (not for leaving office): left as they are.
    keep: set[str] = field(default_factory=set)
    committees: dict[str, dict] = field(default_factory=dict)
    members: list[_Member] = field(default_factory=list)


class _Skip(Exception):
    def __init__(self, reason: str, *, keep: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.keep = keep


# ---------------------------------------------------------------------------------------
# Small normalizers


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _clip(value: str, name: str) -> str:
    return value[: _MAX_LENGTHS[name]]


def _day(value, *, end: bool) -> str:
    """An ISO date string; partial dates ("2026", "2026-11") cover their whole period."""
    text = _text(value)[:10]
    if len(text) == 4:
        return f"{text}-12-31" if end else f"{text}-01-01"
    if len(text) == 7:
        return f"{text}-31" if end else f"{text}-01"
    return text


def _is_current(start, end, today: str) -> bool:
    started = not _text(start) or _day(start, end=False) <= today
    ended = bool(_text(end)) and _day(end, end=True) < today
    return started and not ended


def _is_email(value: str) -> bool:
    if len(value) > 254:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _is_url(value: str) -> bool:
    return (
        value.startswith(("http://", "https://"))
        and len(value) <= 500
        and not any(c.isspace() for c in value)
    )


def _email_or_form(value) -> tuple[str, str, str]:
    """Split an email field: (email, contact-form URL, what was dropped).

    Open States sometimes holds a contact-form URL where the email belongs; it goes to
    `contact_form_url`. Several addresses keep the first valid one.
    """
    text = _text(value)
    if not text:
        return "", "", ""
    if text.lower().startswith("mailto:"):
        text = text[7:].strip()
    if text.lower().startswith("www."):
        text = f"https://{text}"
    if text.lower().startswith(("http://", "https://")):
        return ("", text, "") if _is_url(text) else ("", "", text)
    for part in re.split(r"[;,\s]+", text):
        if _is_email(part):
            return part, "", ""
    return "", "", text


def _digest(values: dict) -> str:
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _jurisdiction_name(code: str) -> str:
    if code == CONGRESS:
        return CONGRESS_NAME
    return US_STATES.get(code.upper(), code.upper())


def _state_title_and_body(code: str, chamber: str) -> tuple[str, str]:
    name = _jurisdiction_name(code)
    if chamber == "upper":
        return "Senator", UPPER_BODIES.get(code, f"{name} State Senate")
    if chamber == "lower":
        return (
            LOWER_TITLES.get(code, "Representative"),
            LOWER_BODIES.get(code, f"{name} House of Representatives"),
        )
    return UNICAMERAL.get(code, ("Legislator", f"{name} Legislature"))


def _finish(fields: dict) -> dict:
    """Clip text to the column sizes, so PostgreSQL never refuses a long value."""
    for name, limit in _MAX_LENGTHS.items():
        value = fields.get(name, "")
        if name in ("email", "contact_form_url", "website"):
            fields[name] = value if len(value) <= limit else ""
        else:
            fields[name] = value[:limit]
    return fields


def _load_yaml(file: Path, rel: str):
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise LegislatorImportError(f"{rel}: cannot be read ({exc.strerror})", file=rel) from None
    try:
        return yaml.load(raw, Loader=YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        where = f"{rel}, line {line}" if line else rel
        problem = exc.problem or exc.context or "invalid YAML"
        raise LegislatorImportError(
            f"{where}: malformed YAML ({problem})", file=rel, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise LegislatorImportError(f"{rel}: malformed YAML ({exc})", file=rel) from None


def _chunks(items: list, size: int = BATCH) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---------------------------------------------------------------------------------------
# Open States


def _openstates_folders(path: Path, result: ImportResult) -> list[tuple[str, Path]]:
    def is_jurisdiction(folder: Path) -> bool:
        return any((folder / sub).is_dir() for sub in ("legislature", "executive", "committees"))

    if not path.is_dir():
        raise LegislatorImportError(f"{path}: not a folder")
    candidates = (
        [path] if is_jurisdiction(path) else sorted(p for p in path.iterdir() if p.is_dir())
    )
    folders = []
    for folder in candidates:
        if not is_jurisdiction(folder):
            continue
        code = folder.name.lower()
        if code == CONGRESS:
            result.skipped.append(
                Skipped(
                    f"{code}/",
                    "",
                    "U.S. Congress is imported from congress-legislators "
                    "(import_legislators congress), which has its offices and committees",
                )
            )
        elif code.upper() not in US_STATES:
            result.skipped.append(
                Skipped(f"{folder.name}/", "", "not a U.S. state or territory code")
            )
        else:
            folders.append((code, folder))
    if not folders and not result.skipped:
        raise LegislatorImportError(
            f"{path}: no Open States jurisdiction folder here "
            "(expected <code>/legislature/*.yml or a tree of them)"
        )
    return folders


def _openstates_person(data, *, code: str, today: str) -> tuple[str, dict]:
    if not isinstance(data, dict):
        raise _Skip("not a person record" if data is not None else "empty file")
    source_id = _text(data.get("id"))
    if not source_id.startswith("ocd-person/"):
        raise _Skip("no ocd-person id")
    name = _text(data.get("name"))
    if not name:
        raise _Skip("no name", keep=True)

    roles = [r for r in data.get("roles") or [] if isinstance(r, dict)]
    legislative = [(i, r) for i, r in enumerate(roles) if _text(r.get("type")) in LEGISLATIVE_ROLES]
    if not legislative:
        kinds = ", ".join(sorted({_text(r.get("type")) or "?" for r in roles})) or "none"
        raise _Skip(f"not a legislator (roles: {kinds})")
    # A role listed twice, once with the end date of a resignation, has ended: the copy
    # without the date is the one nobody updated. Copies that end before (or on) the day
    # they start are left-overs of merged records, not resignations, and are ignored.
    ended = {
        _role_seat(r)
        for _, r in legislative
        if _text(r.get("end_date"))
        and _day(r.get("end_date"), end=True) > _day(r.get("start_date"), end=False)
        and not _is_current(None, r.get("end_date"), today)
    }
    current = [
        (i, r)
        for i, r in legislative
        if _is_current(r.get("start_date"), r.get("end_date"), today) and _role_seat(r) not in ended
    ]
    if not current:
        upcoming = [r for _, r in legislative if _day(r.get("start_date"), end=False) > today]
        if upcoming:
            raise _Skip(f"legislative role starts {_text(upcoming[0].get('start_date'))}")
        last = sorted(_text(r.get("end_date")) for _, r in legislative)[-1]
        other = [
            _text(r.get("type"))
            for r in roles
            if _text(r.get("type")) not in LEGISLATIVE_ROLES
            and _is_current(r.get("start_date"), r.get("end_date"), today)
        ]
        if other:
            raise _Skip(
                f"not a legislator now (current role: {', '.join(other)}; "
                f"last legislative role ended {last})"
            )
        raise _Skip(f"no current legislative role (last one ended {last})")
    _, role = max(current, key=lambda item: (_day(item[1].get("start_date"), end=False), item[0]))

    role_jurisdiction = _text(role.get("jurisdiction"))
    match = _JURISDICTION_ID.search(role_jurisdiction + "/")
    if role_jurisdiction and match and match.group(1) != code:
        raise _Skip(f"current role is in {match.group(1)}, but the file is in {code}/", keep=True)

    chamber = _text(role.get("type"))
    title, body = _state_title_and_body(code, chamber)
    email, form, dropped = _email_or_form(data.get("email"))
    website, homepage = "", ""
    for link in data.get("links") or []:
        url = _text(link.get("url")) if isinstance(link, dict) else ""
        note = _text(link.get("note")).lower() if isinstance(link, dict) else ""
        if not _is_url(url):
            continue
        if "contact" in note:
            form = form or url
        elif "homepage" in note:
            homepage = homepage or url
        elif not website and "map" not in note:
            # Vermont lists each member's district map PDF among the links.
            website = url
    website = homepage or website

    given, family = _text(data.get("given_name")), _text(data.get("family_name"))
    fields = {
        "name": name,
        "given_name": given,
        "family_name": family,
        "sort_name": _text(data.get("sort_name")) or (f"{family}, {given}" if family else name),
        "title": title,
        "body": body,
        "jurisdiction": code,
        "jurisdiction_name": _jurisdiction_name(code),
        "state": code.upper(),
        "chamber": chamber,
        "district": _text(role.get("district")),
        "party": _openstates_party(data.get("party"), today),
        "email": email,
        "contact_form_url": form,
        "website": website,
        "offices": _openstates_offices(data.get("offices")),
    }
    if dropped:
        fields["_dropped"] = dropped
    return source_id, fields


def _role_seat(role: dict) -> tuple[str, str, str]:
    return (_text(role.get("type")), _text(role.get("district")), _text(role.get("start_date")))


def _openstates_party(raw, today: str) -> str:
    if isinstance(raw, str):
        raw = [{"name": raw}]
    entries = [p for p in raw or [] if isinstance(p, dict) and _text(p.get("name"))]
    current = [p for p in entries if _is_current(p.get("start_date"), p.get("end_date"), today)]
    names: list[str] = []
    for entry in current or entries[-1:]:
        # Fusion tickets ("Democratic/Working Families") stay readable as one name.
        for part in _text(entry["name"]).split("/"):
            if part.strip() and part.strip() not in names:
                names.append(part.strip())
    return "/".join(names)


def _openstates_offices(raw) -> list[dict]:
    offices = []
    for office in raw or []:
        if not isinstance(office, dict):
            continue
        entry = {
            key: _text(office.get(key))
            for key in ("classification", "address", "voice", "fax")
            if _text(office.get(key))
        }
        if set(entry) - {"classification"}:
            offices.append(entry)
    return offices


def _openstates_committee(data, *, code: str) -> tuple[str, dict, list]:
    if not isinstance(data, dict):
        raise _Skip("not a committee record" if data is not None else "empty file")
    source_id = _text(data.get("id"))
    if not source_id:
        raise _Skip("no id")
    name = _text(data.get("name"))
    if not name:
        raise _Skip("no name")
    chamber = _text(data.get("chamber")) or "legislature"
    if chamber not in LEGISLATIVE_ROLES:
        raise _Skip(f"unknown chamber {chamber!r}")
    fields = {
        "name": name[:300],
        "jurisdiction": code,
        "chamber": chamber,
        "parent": _text(data.get("parent")),
    }
    return source_id, fields, [m for m in data.get("members") or [] if isinstance(m, dict)]


def _openstates_members(members, committee_id, label, code, rel, names, parsed, result) -> None:
    """Queue a committee's members; one listed without `person_id` is matched by name."""
    for member in members:
        member_name = _text(member.get("name"))
        person_id = _text(member.get("person_id"))
        who = f"{label}, member {member_name or person_id or '?'}"
        if not person_id:
            matches = names.get((code, member_name), [])
            if len(matches) != 1:
                reason = (
                    f"no person_id, and {'several' if matches else 'no'} current legislators "
                    f"of {code} have that name"
                )
                result.skipped.append(Skipped(rel, who, reason))
                continue
            person_id = matches[0]
        role = (_text(member.get("role")) or "member")[:80]
        parsed.members.append(_Member(committee_id, person_id, role, rel, who))


def legislators_import_openstates(
    *, path: Path | str, as_of: date | None = None, progress: Progress | None = None
) -> ImportResult:
    """Import one Open States jurisdiction folder (`wa/`) or a whole `data/` tree of them.

    `legislature/` and `executive/` files are read alike: anyone with a current legislative
    role is imported; executive officials (governors, attorneys general…) are skipped as
    not legislators. `committees/` files give committees and their members; a member is
    matched by `person_id`, or by exact name within the jurisdiction when it is missing.
    People no longer current in the imported jurisdictions are retired.
    """
    path = Path(path)
    today = (as_of or timezone.localdate()).isoformat()
    result = ImportResult()
    parsed = _Parsed(source=Legislator.Source.OPENSTATES)
    folders = _openstates_folders(path, result)

    person_files, committee_files = [], []
    for code, folder in folders:
        root = folder.parent
        for sub in ("legislature", "executive"):
            if (folder / sub).is_dir():
                parsed.people_scope.add(code)
                for file in sorted((folder / sub).glob("*.y*ml")):
                    person_files.append((code, file, file.relative_to(root).as_posix()))
        if (folder / "committees").is_dir():
            parsed.committee_scope.add(code)
            for file in sorted((folder / "committees").glob("*.y*ml")):
                committee_files.append((code, file, file.relative_to(root).as_posix()))

    total = len(person_files) + len(committee_files)
    done = 0
    names: dict[tuple[str, str], list[str]] = {}
    for code, file, rel in person_files:
        data = _load_yaml(file, rel)
        label = ""
        if isinstance(data, dict):
            label = f"{_text(data.get('name')) or '?'} ({_text(data.get('id')) or 'no id'})"
        try:
            source_id, fields = _openstates_person(data, code=code, today=today)
        except _Skip as skip:
            result.skipped.append(Skipped(rel, label, skip.reason))
            if skip.keep and isinstance(data, dict) and _text(data.get("id")):
                parsed.keep.add(_text(data.get("id")))
        else:
            if source_id in parsed.people:
                result.skipped.append(
                    Skipped(rel, label, f"same id as {parsed.people_files[source_id]}")
                )
            else:
                dropped = fields.pop("_dropped", "")
                if dropped:
                    result.notes.append(
                        f"{rel}: {label}: email {dropped!r} is neither an address nor a "
                        "URL; left empty"
                    )
                parsed.people[source_id] = _finish(fields)
                parsed.people_files[source_id] = rel
                names.setdefault((code, fields["name"]), []).append(source_id)
        done += 1
        if progress:
            progress("reading", done, total)

    for code, file, rel in committee_files:
        data = _load_yaml(file, rel)
        label = _text(data.get("name")) if isinstance(data, dict) else ""
        try:
            source_id, fields, members = _openstates_committee(data, code=code)
        except _Skip as skip:
            result.skipped.append(Skipped(rel, label, skip.reason))
        else:
            if source_id in parsed.committees:
                result.skipped.append(Skipped(rel, label, "same committee id as another file"))
            else:
                parsed.committees[source_id] = fields
                _openstates_members(members, source_id, label, code, rel, names, parsed, result)
        done += 1
        if progress:
            progress("reading", done, total)

    _write(parsed, result, progress=progress)
    return result


# ---------------------------------------------------------------------------------------
# congress-legislators


def _congress_person(data, *, today: str, district_offices: dict) -> tuple[str, dict]:
    if not isinstance(data, dict):
        raise _Skip("not a legislator record")
    ids = data.get("id") if isinstance(data.get("id"), dict) else {}
    bioguide = _text(ids.get("bioguide"))
    if not bioguide:
        raise _Skip("no bioguide id")
    names = data.get("name") if isinstance(data.get("name"), dict) else {}
    first, last = _text(names.get("first")), _text(names.get("last"))
    name = _text(names.get("official_full"))
    if not name:
        name = " ".join(p for p in (first, last) if p)
        if _text(names.get("suffix")):
            name = f"{name}, {_text(names.get('suffix'))}"
    if not name:
        raise _Skip("no name", keep=True)
    terms = [t for t in data.get("terms") or [] if isinstance(t, dict)]
    if not terms:
        raise _Skip("no terms")
    term = max(enumerate(terms), key=lambda item: (_day(item[1].get("start"), end=False), item[0]))[
        1
    ]
    if not _is_current(term.get("start"), term.get("end"), today):
        if _day(term.get("start"), end=False) > today:
            raise _Skip(f"term starts {_text(term.get('start'))}")
        raise _Skip(f"last term ended {_text(term.get('end'))}")

    state = _text(term.get("state")).upper()
    kind = _text(term.get("type"))
    if kind == "sen":
        chamber, title, body, district = "senate", "Senator", "U.S. Senate", ""
    elif kind == "rep":
        chamber, body = "house", "U.S. House of Representatives"
        title = (
            "Resident Commissioner"
            if state == "PR"
            else "Delegate"
            if state in DELEGATE_STATES
            else "Representative"
        )
        number = term.get("district")
        district = "At-Large" if number in (0, "0", None, "") else _text(number)
    else:
        raise _Skip(f"unknown term type {kind!r}", keep=True)

    party = _text(term.get("party"))
    offices = []
    capitol = {
        "classification": "capitol",
        "address": _text(term.get("address")),
        "voice": _text(term.get("phone")),
        "fax": _text(term.get("fax")),
    }
    if any(capitol[key] for key in ("address", "voice", "fax")):
        offices.append({key: value for key, value in capitol.items() if value})
    for office in district_offices.get(bioguide, []):
        street = ", ".join(
            _text(office.get(key)) for key in ("building", "address", "suite") if office.get(key)
        )
        place = " ".join(p for p in (_text(office.get("state")), _text(office.get("zip"))) if p)
        town = ", ".join(p for p in (_text(office.get("city")), place) if p)
        entry = {
            "classification": "district",
            "address": ", ".join(p for p in (street, town) if p),
            "voice": _text(office.get("phone")),
            "fax": _text(office.get("fax")),
        }
        entry = {key: value for key, value in entry.items() if value}
        if set(entry) - {"classification"}:
            offices.append(entry)

    form = _text(term.get("contact_form"))
    website = _text(term.get("url"))
    fields = {
        "name": name,
        "given_name": first,
        "family_name": last,
        "sort_name": f"{last}, {first}" if last else name,
        "title": title,
        "body": body,
        "jurisdiction": CONGRESS,
        "jurisdiction_name": CONGRESS_NAME,
        "state": state,
        "chamber": chamber,
        "district": district,
        # congress-legislators says "Democrat"; Open States and the party say "Democratic".
        "party": "Democratic" if party == "Democrat" else party,
        "email": "",
        "contact_form_url": form if _is_url(form) else "",
        "website": website if _is_url(website) else "",
        "offices": offices,
    }
    return bioguide, _finish(fields)


def legislators_import_congress(
    *, path: Path | str, as_of: date | None = None, progress: Progress | None = None
) -> ImportResult:
    """Import the U.S. Congress from a folder of congress-legislators YAML files.

    `legislators-current.yaml` is required; `legislators-district-offices.yaml`,
    `committees-current.yaml` and `committee-membership-current.yaml` are used when present
    (committees are left as they are when their files are missing). Members of Congress
    have no email addresses: their letters go by post or through the contact form.
    """
    path = Path(path)
    if path.is_file():
        path = path.parent
    today = (as_of or timezone.localdate()).isoformat()
    result = ImportResult()
    parsed = _Parsed(source=Legislator.Source.CONGRESS, people_scope={CONGRESS})
    names = {
        "people": "legislators-current.yaml",
        "offices": "legislators-district-offices.yaml",
        "committees": "committees-current.yaml",
        "membership": "committee-membership-current.yaml",
    }
    if not (path / names["people"]).is_file():
        raise LegislatorImportError(f"{path}: {names['people']} not found", file=names["people"])
    loaded = {}
    present = [key for key, file in names.items() if (path / file).is_file()]
    for i, key in enumerate(present, start=1):
        loaded[key] = _load_yaml(path / names[key], names[key])
        if progress:
            progress("reading", i, len(present))
    for key in names:
        if key not in loaded:
            result.notes.append(f"{names[key]} not found: {key} left as they are")

    people = loaded["people"]
    if not isinstance(people, list):
        raise LegislatorImportError(
            f"{names['people']}: expected a list of legislators", file=names["people"]
        )
    district_offices: dict[str, list] = {}
    if isinstance(loaded.get("offices"), list):
        for entry in loaded["offices"]:
            if isinstance(entry, dict):
                bioguide = _text((entry.get("id") or {}).get("bioguide"))
                district_offices[bioguide] = [
                    o for o in entry.get("offices") or [] if isinstance(o, dict)
                ]
    elif "offices" in loaded:
        result.notes.append(f"{names['offices']}: not a list; district offices left out")

    for index, data in enumerate(people):
        record = data if isinstance(data, dict) else {}
        person_names = record.get("name") if isinstance(record.get("name"), dict) else {}
        ids = record.get("id") if isinstance(record.get("id"), dict) else {}
        bioguide = _text(ids.get("bioguide"))
        shown = _text(person_names.get("official_full")) or _text(person_names.get("last"))
        label = f"{shown or '?'} ({bioguide or f'entry {index + 1}'})"
        try:
            source_id, fields = _congress_person(
                data, today=today, district_offices=district_offices
            )
        except _Skip as skip:
            result.skipped.append(Skipped(names["people"], label, skip.reason))
            if skip.keep and bioguide:
                parsed.keep.add(bioguide)
        else:
            if source_id in parsed.people:
                result.skipped.append(Skipped(names["people"], label, "listed twice"))
            else:
                parsed.people[source_id] = fields

    if isinstance(loaded.get("committees"), list) and "membership" in loaded:
        parsed.committee_scope = {CONGRESS}
        _congress_committees(loaded["committees"], loaded["membership"], parsed, result, names)
    elif "committees" in loaded or "membership" in loaded:
        result.notes.append(
            "committees need both committee files as lists; committees left as they are"
        )

    _write(parsed, result, progress=progress)
    return result


def _congress_committees(committees, membership, parsed: _Parsed, result, names) -> None:
    file = names["committees"]
    for entry in committees:
        if not isinstance(entry, dict) or not _text(entry.get("thomas_id")):
            result.skipped.append(Skipped(file, _text(entry), "no thomas_id"))
            continue
        key = _text(entry["thomas_id"])
        chamber = _text(entry.get("type"))
        if chamber not in ("senate", "house", "joint"):
            result.skipped.append(Skipped(file, key, f"unknown committee type {chamber!r}"))
            continue
        parsed.committees[key] = {
            "name": _text(entry.get("name"))[:300] or key,
            "jurisdiction": CONGRESS,
            "chamber": chamber,
            "parent": "",
        }
        for sub in entry.get("subcommittees") or []:
            if not isinstance(sub, dict) or not _text(sub.get("thomas_id")):
                result.skipped.append(Skipped(file, key, "subcommittee without thomas_id"))
                continue
            parsed.committees[key + _text(sub["thomas_id"])] = {
                "name": _text(sub.get("name"))[:300] or key + _text(sub["thomas_id"]),
                "jurisdiction": CONGRESS,
                "chamber": chamber,
                "parent": key,
            }
    file = names["membership"]
    if not isinstance(membership, dict):
        raise LegislatorImportError(f"{file}: expected committees with their members", file=file)
    for key, members in membership.items():
        key = _text(key)
        if key not in parsed.committees:
            result.skipped.append(Skipped(file, key, "committee not in committees-current.yaml"))
            continue
        for member in members or []:
            if not isinstance(member, dict):
                continue
            bioguide = _text(member.get("bioguide"))
            label = f"{key}, member {_text(member.get('name')) or '?'} ({bioguide or 'no id'})"
            if not bioguide:
                result.skipped.append(Skipped(file, label, "no bioguide id"))
                continue
            parsed.members.append(
                _Member(key, bioguide, (_text(member.get("title")) or "member")[:80], file, label)
            )


# ---------------------------------------------------------------------------------------
# Writing


@transaction.atomic
def _write(parsed: _Parsed, result: ImportResult, *, progress: Progress | None) -> None:
    now = timezone.now()
    source = parsed.source
    if progress:
        progress("writing", 0, 3)

    existing = {
        row[0]: row[1:]
        for row in Legislator.objects.filter(source=source).values_list(
            "source_id", "pk", "source_hash", "active", "jurisdiction"
        )
    }
    new, changed = [], []
    for source_id, fields in parsed.people.items():
        digest = _digest(fields)
        row = existing.get(source_id)
        if row is None:
            new.append(
                Legislator(
                    source=source,
                    source_id=source_id,
                    source_hash=digest,
                    imported_at=now,
                    updated_at=now,
                    **fields,
                )
            )
        elif row[1] != digest or not row[2]:
            changed.append(
                Legislator(
                    pk=row[0],
                    source_hash=digest,
                    active=True,
                    retired_at=None,
                    updated_at=now,
                    **fields,
                )
            )
        else:
            result.unchanged += 1
    Legislator.objects.bulk_create(new, batch_size=BATCH)
    Legislator.objects.bulk_update(
        changed,
        [*LEGISLATOR_FIELDS, "source_hash", "active", "retired_at", "updated_at"],
        batch_size=BATCH,
    )
    result.created, result.updated = len(new), len(changed)

    leaving = [
        row[0]
        for source_id, row in existing.items()
        if row[2]
        and row[3] in parsed.people_scope
        and source_id not in parsed.people
        and source_id not in parsed.keep
    ]
    for chunk in _chunks(leaving):
        Legislator.objects.filter(pk__in=chunk).update(active=False, retired_at=now, updated_at=now)
    result.retired = len(leaving)
    if progress:
        progress("writing", 1, 3)

    if parsed.committee_scope:
        _write_committees(parsed, result)
    if progress:
        progress("writing", 2, 3)
    if parsed.committee_scope:
        _write_memberships(parsed, result)
    if progress:
        progress("writing", 3, 3)


def _write_committees(parsed: _Parsed, result: ImportResult) -> None:
    source = parsed.source
    existing = {
        row[0]: row[1:]
        for row in Committee.objects.filter(source=source).values_list(
            "source_id", "pk", "source_hash", "parent_id", "jurisdiction"
        )
    }
    new, changed = [], []
    for source_id, fields in parsed.committees.items():
        digest = _digest(fields)
        values = {k: v for k, v in fields.items() if k != "parent"}
        row = existing.get(source_id)
        if row is None:
            new.append(Committee(source=source, source_id=source_id, source_hash=digest, **values))
        elif row[1] != digest:
            changed.append(Committee(pk=row[0], source_hash=digest, **values))
        else:
            result.committees_unchanged += 1
    Committee.objects.bulk_create(new, batch_size=BATCH)
    Committee.objects.bulk_update(
        changed, ["name", "jurisdiction", "chamber", "source_hash"], batch_size=BATCH
    )
    result.committees_created, result.committees_updated = len(new), len(changed)

    gone = [
        row[0]
        for source_id, row in existing.items()
        if row[3] in parsed.committee_scope and source_id not in parsed.committees
    ]
    for chunk in _chunks(gone):
        _, deleted = Committee.objects.filter(pk__in=chunk).delete()
        result.memberships_removed += deleted.get(CommitteeMembership._meta.label, 0)
    result.committees_removed = len(gone)

    ids = dict(Committee.objects.filter(source=source).values_list("source_id", "pk"))
    parents = []
    for source_id, fields in parsed.committees.items():
        wanted = ids.get(fields["parent"]) if fields["parent"] else None
        had = existing[source_id][2] if source_id in existing else None
        if wanted != had:
            parents.append(Committee(pk=ids[source_id], parent_id=wanted))
    Committee.objects.bulk_update(parents, ["parent"], batch_size=BATCH)


def _write_memberships(parsed: _Parsed, result: ImportResult) -> None:
    source = parsed.source
    committees = dict(
        Committee.objects.filter(
            source=source, jurisdiction__in=parsed.committee_scope
        ).values_list("source_id", "pk")
    )
    people = dict(
        Legislator.objects.filter(source=source, active=True).values_list("source_id", "pk")
    )
    wanted: dict[tuple[int, int], str] = {}
    for member in parsed.members:
        committee = committees.get(member.committee_id)
        if committee is None:
            continue  # its committee was skipped, with its reason
        person = people.get(member.person_id)
        if person is None:
            result.skipped.append(
                Skipped(member.file, member.label, "not a current legislator in the directory")
            )
        elif (committee, person) in wanted:
            result.skipped.append(Skipped(member.file, member.label, "listed twice"))
        else:
            wanted[(committee, person)] = member.role

    existing = {
        (row[1], row[2]): (row[0], row[3])
        for row in CommitteeMembership.objects.filter(
            committee__source=source, committee__jurisdiction__in=parsed.committee_scope
        ).values_list("pk", "committee_id", "legislator_id", "role")
    }
    added = [
        CommitteeMembership(committee_id=c, legislator_id=p, role=role)
        for (c, p), role in wanted.items()
        if (c, p) not in existing
    ]
    changed = [
        CommitteeMembership(pk=existing[key][0], role=role)
        for key, role in wanted.items()
        if key in existing and existing[key][1] != role
    ]
    removed = [pk for key, (pk, _) in existing.items() if key not in wanted]
    CommitteeMembership.objects.bulk_create(added, batch_size=BATCH)
    CommitteeMembership.objects.bulk_update(changed, ["role"], batch_size=BATCH)
    for chunk in _chunks(removed):
        CommitteeMembership.objects.filter(pk__in=chunk).delete()
    result.memberships_added = len(added)
    result.memberships_changed = len(changed)
    result.memberships_removed += len(removed)
