"""The legislator importers, on small hand-written files shaped like the real ones.

tests/fixtures/legislators/ holds one irregularity per file: several roles, a current role
with a future end date, "7th Hampden", no district, a unicameral legislature, At-Large, a
contact-form URL in the email field, fusion parties, executive officials, a `us/` folder.
"""

import shutil
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from campaigns.importers import (
    LegislatorImportError,
    legislators_import_congress,
    legislators_import_openstates,
)
from campaigns.models import Committee, CommitteeMembership, Legislator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "legislators"
AS_OF = date(2026, 1, 15)
ADA = "ocd-person/00000000-0000-4000-8000-000000000001"
BEN = "ocd-person/00000000-0000-4000-8000-000000000002"
CARA = "ocd-person/00000000-0000-4000-8000-000000000003"
EVE = "ocd-person/00000000-0000-4000-8000-000000000005"
FINN = "ocd-person/00000000-0000-4000-8000-000000000006"
HAL = "ocd-person/00000000-0000-4000-8000-000000000008"
WAYS_AND_MEANS = "ocd-organization/00000000-0000-4000-9000-000000000001"
REVENUE = "ocd-organization/00000000-0000-4000-9000-000000000002"

pytestmark = pytest.mark.django_db


@pytest.fixture
def openstates(tmp_path) -> Path:
    """A copy of the Open States fixture tree that a test may edit."""
    return Path(shutil.copytree(FIXTURES / "openstates", tmp_path / "data"))


@pytest.fixture
def congress(tmp_path) -> Path:
    return Path(shutil.copytree(FIXTURES / "congress", tmp_path / "congress"))


def import_openstates(path, **kwargs):
    return legislators_import_openstates(path=path, as_of=AS_OF, **kwargs)


def import_congress(path, **kwargs):
    return legislators_import_congress(path=path, as_of=AS_OF, **kwargs)


def person(source_id) -> Legislator:
    return Legislator.objects.get(source_id=source_id)


def reasons(result) -> dict[str, str]:
    return {f"{s.file}|{s.record.split(' (')[0]}": s.reason for s in result.skipped}


# --- Open States ------------------------------------------------------------------------


def test_openstates_import_creates_current_legislators_and_reports_every_skip(openstates):
    result = import_openstates(openstates)

    assert (result.created, result.updated, result.unchanged, result.retired) == (11, 0, 0, 0)
    assert Legislator.objects.filter(active=True).count() == 11
    assert reasons(result) == {
        "ma/legislature/Dan-Ruiz-00000000-0000-4000-8000-000000000004.yml|Dan Ruiz": (
            "no current legislative role (last one ended 2025-01-01)"
        ),
        "ma/legislature/Gus-Lee-00000000-0000-4000-8000-000000000007.yml|Gus Lee": (
            "legislative role starts 2099-01-01"
        ),
        "ma/legislature/Nameless-no-id.yml|Ivy Stone": "no ocd-person id",
        "ma/executive/Jo-Governor-00000000-0000-4000-8000-000000000010.yml|Jo Governor": (
            "not a legislator (roles: governor)"
        ),
        "us/|": (
            "U.S. Congress is imported from congress-legislators (import_legislators "
            "congress), which has its offices and committees"
        ),
        "ma/committees/lower-Ways-and-Means-00000000-0000-4000-9000-000000000001.yml"
        "|Ways and Means, member Zed Nobody": (
            "no person_id, and no current legislators of ma have that name"
        ),
        "ma/committees/lower-Ways-and-Means-00000000-0000-4000-9000-000000000001.yml"
        "|Ways and Means, member Dan Ruiz": "not a current legislator in the directory",
    }
    assert result.summary == "created 11, updated 0, unchanged 0, retired 0, skipped 7"


def test_the_current_role_wins_even_when_it_is_not_listed_last(openstates):
    import_openstates(openstates)
    ben = person(BEN)
    assert (ben.chamber, ben.district, ben.title) == ("lower", "3rd Plymouth", "Representative")
    assert ben.body == "Massachusetts House of Representatives"


def test_of_two_open_roles_the_one_that_started_last_wins(openstates):
    # A move from the House to the Senate where the old seat was never closed.
    import_openstates(openstates)
    kai = person("ocd-person/00000000-0000-4000-8000-000000000009")
    assert (kai.chamber, kai.district) == ("upper", "1st Middlesex")


def test_a_current_role_with_a_future_end_date_counts(openstates):
    import_openstates(openstates)
    cara = person(CARA)
    assert (cara.chamber, cara.district, cara.active) == ("upper", "2nd Suffolk", True)
    assert (cara.title, cara.body) == ("Senator", "Massachusetts State Senate")
    assert cara.sort_name == "Díaz, Cara"


def test_a_role_that_ended_becomes_current_again_only_inside_its_dates(openstates):
    # The same files a year earlier: Dan Ruiz still sat, Cara Díaz's old seat had ended.
    result = legislators_import_openstates(path=openstates, as_of=date(2024, 6, 1))
    assert person("ocd-person/00000000-0000-4000-8000-000000000004").district == "4th Essex"
    assert result.created == 11  # Dan Ruiz in, Finn Walsh (from 2025) not yet
    assert not Legislator.objects.filter(source_id=FINN).exists()
    # Kai Ober's Senate seat starts in 2025: in 2024 he sat in the House.
    assert person("ocd-person/00000000-0000-4000-8000-000000000009").chamber == "lower"


def test_districts_are_kept_as_text_and_may_be_missing(openstates):
    import_openstates(openstates)
    assert person(ADA).district == "7th Hampden"
    assert person(FINN).district == ""
    assert person(EVE).district == "Berkshire, Hampden, Franklin and Hampshire"
    pat = Legislator.objects.get(jurisdiction="dc")
    assert (pat.chamber, pat.district) == ("legislature", "At-Large")
    assert (pat.title, pat.body) == ("Councilmember", "Council of the District of Columbia")


def test_a_unicameral_legislature_is_its_own_chamber(openstates):
    import_openstates(openstates)
    nell = Legislator.objects.get(jurisdiction="ne")
    assert (nell.chamber, nell.district, nell.party) == ("legislature", "12", "Nonpartisan")
    assert (nell.title, nell.body, nell.jurisdiction_name) == (
        "Senator",
        "Nebraska Legislature",
        "Nebraska",
    )


def test_a_contact_form_url_in_the_email_field_goes_to_contact_form_url(openstates):
    import_openstates(openstates)
    eve = person(EVE)
    assert eve.email == ""
    assert eve.contact_form_url == "https://example.org/contact/eve-park"
    assert eve.needs_mail


def test_an_email_field_with_neither_address_nor_url_is_left_empty_with_a_note(openstates):
    result = import_openstates(openstates)
    hal = person(HAL)
    assert (hal.email, hal.contact_form_url, hal.active) == ("", "", True)
    assert result.notes == [
        "ma/legislature/Hal-Moss-00000000-0000-4000-8000-000000000008.yml: Hal Moss "
        f"({HAL}): email 'call the office' is neither an address nor a URL; left empty"
    ]


def test_fusion_parties_stay_readable(openstates):
    import_openstates(openstates)
    ny = dict(Legislator.objects.filter(jurisdiction="ny").values_list("name", "party"))
    assert ny == {
        "Nora Quinn": "Democratic/Working Families",
        "Otto Brandt": "Republican/Conservative",
    }


def test_contact_details_and_offices_are_imported(openstates):
    import_openstates(openstates)
    ada = person(ADA)
    assert (ada.email, ada.website, ada.state, ada.jurisdiction_name) == (
        "ada.lovell@example.org",
        "https://example.org/ada",
        "MA",
        "Massachusetts",
    )
    assert ada.offices == [
        {
            "classification": "capitol",
            "address": "24 Beacon St.; Room 1; Boston, MA 02133",
            "voice": "617-555-0101",
        },
        {
            "classification": "district",
            "address": "1 Main St.; Springfield, MA 01103",
            "voice": "413-555-0102",
            "fax": "413-555-0103",
        },
    ]
    assert (ada.source, ada.title, ada.sort_name) == ("openstates", "Representative", "Lovell, Ada")


def test_committees_their_parents_and_members(openstates):
    import_openstates(openstates)
    ways = Committee.objects.get(source_id=WAYS_AND_MEANS)
    revenue = Committee.objects.get(source_id=REVENUE)
    assert (ways.name, ways.jurisdiction, ways.chamber, ways.parent) == (
        "Ways and Means",
        "ma",
        "lower",
        None,
    )
    assert revenue.parent == ways
    roles = dict(ways.memberships.values_list("legislator__source_id", "role"))
    # Ben Okafor is listed by name only: matched within the jurisdiction.
    assert roles == {ADA: "chair", BEN: "ranking member"}
    assert list(revenue.members.values_list("source_id", flat=True)) == [FINN]


def test_a_second_import_of_the_same_files_changes_nothing(openstates):
    import_openstates(openstates)
    before = list(Legislator.objects.values_list("pk", "updated_at", "source_hash"))

    result = import_openstates(openstates)

    assert (result.created, result.updated, result.unchanged, result.retired) == (0, 0, 11, 0)
    assert (result.committees_created, result.committees_updated) == (0, 0)
    assert (result.committees_unchanged, result.committees_removed) == (2, 0)
    assert (result.memberships_added, result.memberships_changed) == (0, 0)
    assert result.memberships_removed == 0
    assert result.summary == "created 0, updated 0, unchanged 11, retired 0, skipped 7"
    assert list(Legislator.objects.values_list("pk", "updated_at", "source_hash")) == before


def test_a_reimport_runs_a_fixed_number_of_queries(openstates, django_assert_max_num_queries):
    import_openstates(openstates)
    with django_assert_max_num_queries(12):
        import_openstates(openstates)


def test_a_changed_file_updates_that_person_only(openstates):
    import_openstates(openstates)
    file = openstates / "ma/legislature/Ada-Lovell-00000000-0000-4000-8000-000000000001.yml"
    file.write_text(
        file.read_text()
        .replace("ada.lovell@example.org", "ada@example.org")
        .replace("7th Hampden", "8th Hampden")
    )

    result = import_openstates(openstates)

    assert (result.created, result.updated, result.unchanged, result.retired) == (0, 1, 10, 0)
    ada = person(ADA)
    assert (ada.email, ada.district) == ("ada@example.org", "8th Hampden")


def test_a_file_change_outside_the_imported_fields_is_unchanged(openstates):
    import_openstates(openstates)
    file = openstates / "ma/legislature/Ada-Lovell-00000000-0000-4000-8000-000000000001.yml"
    file.write_text(file.read_text() + "- url: https://example.org/another-source\n")
    result = import_openstates(openstates)
    assert (result.updated, result.unchanged) == (0, 11)


def test_a_person_removed_from_the_files_is_retired_not_deleted(openstates, tmp_path):
    import_openstates(openstates)
    (openstates / "ma/legislature/Ada-Lovell-00000000-0000-4000-8000-000000000001.yml").unlink()

    result = import_openstates(openstates)

    assert (result.created, result.updated, result.unchanged, result.retired) == (0, 0, 10, 1)
    ada = person(ADA)
    assert not ada.active
    assert ada.retired_at is not None
    # Her committee seat goes with the office.
    assert not CommitteeMembership.objects.filter(legislator=ada).exists()
    assert result.memberships_removed == 1


def test_a_person_whose_role_ends_is_retired(openstates):
    import_openstates(openstates)
    file = openstates / "ma/legislature/Ben-Okafor-00000000-0000-4000-8000-000000000002.yml"
    file.write_text(
        file.read_text().replace(
            "  district: 3rd Plymouth", "  end_date: 2025-12-31\n  district: 3rd Plymouth"
        )
    )
    result = import_openstates(openstates)
    assert result.retired == 1
    assert not person(BEN).active


def test_a_retired_person_who_returns_is_active_again(openstates, tmp_path):
    import_openstates(openstates)
    file = openstates / "ma/legislature/Ada-Lovell-00000000-0000-4000-8000-000000000001.yml"
    kept = file.read_text()
    file.unlink()
    import_openstates(openstates)
    file.write_text(kept)

    result = import_openstates(openstates)

    assert (result.created, result.updated, result.retired) == (0, 1, 0)
    ada = person(ADA)
    assert ada.active
    assert ada.retired_at is None
    assert Legislator.objects.filter(source_id=ADA).count() == 1


def test_importing_one_jurisdiction_never_retires_another(openstates):
    import_openstates(openstates)
    (openstates / "ma/legislature/Ada-Lovell-00000000-0000-4000-8000-000000000001.yml").unlink()

    result = import_openstates(openstates / "ny")

    assert (result.created, result.unchanged, result.retired) == (0, 2, 0)
    assert person(ADA).active
    assert Committee.objects.filter(jurisdiction="ma").count() == 2


def test_a_single_jurisdiction_folder_can_be_imported(openstates):
    result = import_openstates(openstates / "ma")
    assert result.created == 7
    assert set(Legislator.objects.values_list("jurisdiction", flat=True)) == {"ma"}
    assert result.skipped[0].file.startswith("ma/")


def test_a_committee_whose_file_is_gone_is_removed_with_its_memberships(openstates):
    import_openstates(openstates)
    (openstates / "ma/committees/lower-Revenue-00000000-0000-4000-9000-000000000002.yml").unlink()
    result = import_openstates(openstates)
    assert (result.committees_removed, result.memberships_removed) == (1, 1)
    assert not Committee.objects.filter(source_id=REVENUE).exists()
    assert person(FINN).active


def test_a_malformed_file_names_its_file_and_line_and_nothing_is_written(openstates):
    bad = openstates / "ma/legislature/Broken-00000000-0000-4000-8000-000000000099.yml"
    bad.write_text("id: ocd-person/00000000-0000-4000-8000-000000000099\nname: [Broken\nroles:\n")

    with pytest.raises(LegislatorImportError) as error:
        import_openstates(openstates)

    assert str(error.value).startswith(
        "ma/legislature/Broken-00000000-0000-4000-8000-000000000099.yml, line 3: malformed YAML"
    )
    assert (error.value.file, error.value.line) == (
        "ma/legislature/Broken-00000000-0000-4000-8000-000000000099.yml",
        3,  # where the unclosed "[" turns out to be unclosed
    )
    assert not Legislator.objects.exists()
    assert not Committee.objects.exists()


def test_a_malformed_file_leaves_an_earlier_import_untouched(openstates):
    import_openstates(openstates)
    before = list(Legislator.objects.values_list("source_id", "active", "source_hash"))
    (openstates / "ma/legislature/Ada-Lovell-00000000-0000-4000-8000-000000000001.yml").unlink()
    (openstates / "ny/committees").mkdir()
    (openstates / "ny/committees/bad.yml").write_text("name: Codes\nmembers:\n  - name: x\n - y\n")

    with pytest.raises(LegislatorImportError, match=r"^ny/committees/bad\.yml, line 4"):
        import_openstates(openstates)

    assert list(Legislator.objects.values_list("source_id", "active", "source_hash")) == before


def test_a_folder_without_open_states_data_is_an_error(tmp_path):
    with pytest.raises(LegislatorImportError, match="no Open States jurisdiction folder"):
        import_openstates(tmp_path)


# --- congress-legislators ---------------------------------------------------------------


def test_congress_import(congress):
    result = import_congress(congress)

    assert (result.created, result.updated, result.unchanged, result.retired) == (7, 0, 0, 0)
    assert reasons(result) == {
        "legislators-current.yaml|Ed Hazel": "last term ended 2025-11-04",
        "committee-membership-current.yaml|HSZZ": "committee not in committees-current.yaml",
        "committee-membership-current.yaml|HSAG, member Nobody Known": (
            "not a current legislator in the directory"
        ),
        "committee-membership-current.yaml|SSFI, member Ed Hazel": (
            "not a current legislator in the directory"
        ),
    }
    rows = {
        row[0]: row[1:]
        for row in Legislator.objects.values_list(
            "source_id", "name", "title", "chamber", "state", "district", "party", "email"
        )
    }
    assert rows == {
        "T000001": ("Tess Alder", "Senator", "senate", "WA", "", "Democratic", ""),
        "T000002": ("Raul M. Birch", "Representative", "house", "WA", "7", "Democratic", ""),
        "T000003": ("Wyn Cedar", "Representative", "house", "WY", "At-Large", "Republican", ""),
        "T000004": ("Della Dogwood", "Delegate", "house", "DC", "At-Large", "Democratic", ""),
        "T000005": (
            "Pablo Elm",
            "Resident Commissioner",
            "house",
            "PR",
            "At-Large",
            "Republican",
            "",
        ),
        "T000006": ("Ike Fir", "Senator", "senate", "VT", "", "Independent", ""),
        "T000007": ("Nia Gum", "Representative", "house", "CA", "1", "Republican", ""),
    }
    assert set(Legislator.objects.values_list("jurisdiction", "jurisdiction_name")) == {
        ("us", "U.S. Congress")
    }


def test_congress_contact_forms_and_offices(congress):
    import_congress(congress)
    alder = person("T000001")
    assert alder.contact_form_url == "https://example.org/alder/contact"
    assert alder.website == "https://example.org/alder"
    assert alder.body == "U.S. Senate"
    assert alder.offices == [
        {
            "classification": "capitol",
            "address": "511 Hart Senate Office Building Washington DC 20510",
            "voice": "202-555-0001",
            "fax": "202-555-0002",
        }
    ]
    birch = person("T000002")
    assert birch.offices == [
        {
            "classification": "capitol",
            "address": "1 Longworth House Office Building Washington DC 20515",
            "voice": "202-555-0003",
        },
        {
            "classification": "district",
            "address": "Federal Building, 100 Pacific Ave., Suite 7, Tacoma, WA 98402",
            "voice": "253-555-0007",
            "fax": "253-555-0008",
        },
        {"classification": "district", "address": "5 Capitol Way, Olympia, WA 98501"},
    ]
    gum = person("T000007")
    assert (gum.offices, gum.contact_form_url, gum.website) == ([], "", "")
    assert all(legislator.needs_mail for legislator in Legislator.objects.all())


def test_congress_committees_subcommittees_and_members(congress):
    import_congress(congress)
    agriculture = Committee.objects.get(source_id="HSAG")
    forestry = Committee.objects.get(source_id="HSAG15")
    joint = Committee.objects.get(source_id="JSEC")
    assert (agriculture.chamber, forestry.parent, forestry.name) == (
        "house",
        agriculture,
        "Forestry",
    )
    assert joint.chamber == "joint"
    assert dict(agriculture.memberships.values_list("legislator__source_id", "role")) == {
        "T000002": "Chairman",
        "T000003": "member",
    }
    assert set(joint.members.values_list("source_id", flat=True)) == {"T000001", "T000002"}
    assert CommitteeMembership.objects.count() == 6


def test_a_second_congress_import_is_a_no_op_and_a_departure_retires(congress):
    import_congress(congress)
    again = import_congress(congress)
    assert (again.created, again.updated, again.unchanged, again.retired) == (0, 0, 7, 0)
    assert (again.committees_created, again.committees_updated, again.memberships_added) == (
        0,
        0,
        0,
    )

    people = congress / "legislators-current.yaml"
    text = people.read_text()
    people.write_text(text[: text.index("- id:\n    bioguide: T000007")])
    result = import_congress(congress)

    assert (result.created, result.updated, result.unchanged, result.retired) == (0, 0, 6, 1)
    assert not person("T000007").active


def test_without_committee_files_congress_committees_are_left_alone(congress):
    import_congress(congress)
    (congress / "committees-current.yaml").unlink()
    (congress / "committee-membership-current.yaml").unlink()
    result = import_congress(congress)
    assert Committee.objects.count() == 4
    assert CommitteeMembership.objects.count() == 6
    assert "committees-current.yaml not found: committees left as they are" in result.notes


def test_congress_and_open_states_imports_never_retire_each_other(openstates, congress):
    import_openstates(openstates)
    import_congress(congress)
    (congress / "legislators-current.yaml").write_text("[]\n")
    result = import_congress(congress)
    assert result.retired == 7
    assert Legislator.objects.filter(source="openstates", active=True).count() == 11


def test_a_malformed_congress_file_names_file_and_line(congress):
    (congress / "committee-membership-current.yaml").write_text("HSAG:\n- name: [x\n")
    with pytest.raises(LegislatorImportError, match=r"^committee-membership-current\.yaml, line 3"):
        import_congress(congress)
    assert not Legislator.objects.exists()


def test_congress_needs_its_legislators_file(tmp_path):
    with pytest.raises(LegislatorImportError, match=r"legislators-current\.yaml not found"):
        import_congress(tmp_path)


# --- the command ------------------------------------------------------------------------


def test_command_prints_the_summary_and_every_skipped_record(openstates):
    out = StringIO()
    call_command(
        "import_legislators", "openstates", str(openstates), "--as-of", "2026-01-15", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "created 11, updated 0, unchanged 0, retired 0, skipped 7"
    assert lines[1] == (
        "committees: created 2, updated 0, unchanged 0, removed 0; "
        "memberships: added 3, changed 0, removed 0"
    )
    assert lines[2] == "skipped:"
    assert (
        "  ma/legislature/Dan-Ruiz-00000000-0000-4000-8000-000000000004.yml: Dan Ruiz "
        "(ocd-person/00000000-0000-4000-8000-000000000004): no current legislative role "
        "(last one ended 2025-01-01)"
    ) in lines
    assert len([line for line in lines if line.startswith("  ")]) == 7 + 1  # and one note

    again = StringIO()
    call_command(
        "import_legislators", "openstates", str(openstates), "--as-of", "2026-01-15", stdout=again
    )
    assert again.getvalue().splitlines()[0] == (
        "created 0, updated 0, unchanged 11, retired 0, skipped 7"
    )


def test_command_reports_a_malformed_file_and_imports_nothing(openstates):
    (openstates / "ne/legislature/bad.yml").write_text("id: x\n\tname: tab\n")
    with pytest.raises(CommandError) as error:
        call_command("import_legislators", "openstates", str(openstates), stdout=StringIO())
    assert str(error.value).startswith("Nothing was imported: ne/legislature/bad.yml, line 2:")
    assert not Legislator.objects.exists()


def test_command_progress_bar_only_on_request_when_not_a_terminal(congress):
    quiet, shown = StringIO(), StringIO()
    call_command("import_legislators", "congress", str(congress), stdout=StringIO(), stderr=quiet)
    call_command(
        "import_legislators",
        "congress",
        str(congress),
        "--progress",
        stdout=StringIO(),
        stderr=shown,
    )
    assert quiet.getvalue() == ""
    assert "reading  [##############################] 4/4" in shown.getvalue()
    assert "writing  [##############################] 3/3" in shown.getvalue()


def write_people(folder: Path, count: int) -> None:
    (folder / "wa" / "legislature").mkdir(parents=True)
    (folder / "wa" / "committees").mkdir()
    members = []
    for n in range(count):
        person_id = f"ocd-person/00000000-0000-4000-a000-{n:012d}"
        members.append(f"- name: Person {n}\n  role: member\n  person_id: {person_id}\n")
        (folder / "wa" / "legislature" / f"p{n}.yml").write_text(
            f"id: {person_id}\nname: Person {n}\nemail: p{n}@example.org\n"
            f"party:\n- name: Democratic\nroles:\n- type: lower\n  district: '{n}'\n"
        )
    (folder / "wa" / "committees" / "c.yml").write_text(
        "id: ocd-organization/c\nname: Rules\nchamber: lower\nmembers:\n" + "".join(members)
    )


def test_import_queries_do_not_grow_with_the_number_of_people(tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 40):
        Legislator.objects.all().delete()
        Committee.objects.all().delete()
        write_people(tmp_path / str(size), size)
        with CaptureQueriesContext(connection) as first:
            import_openstates(tmp_path / str(size))
        with CaptureQueriesContext(connection) as again:
            result = import_openstates(tmp_path / str(size))
        assert result.unchanged == size
        counts.append((len(first), len(again)))
    assert counts[0] == counts[1]


# --- the real data ----------------------------------------------------------------------

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
# The date of the Open States snapshot (README of ../shared/data): the counts below are who
# held a seat that day. Counted independently of the importer with a short script reading
# the YAML with PyYAML, then checked by hand against the size of each chamber (NY Senate 63,
# Assembly 150; WA Senate 49, House 98; Nebraska 49; DC Council 13 seats with one member
# whose role ended on 2026-07-01; Congress 100 senators and 437 of the 441 House seats).
REAL_AS_OF = date(2026, 8, 5)
REAL_COUNTS = {
    # (jurisdiction, chamber): (with email, without email)
    ("dc", "legislature"): (12, 0),
    ("ne", "legislature"): (49, 0),
    ("ny", "lower"): (150, 0),
    ("ny", "upper"): (63, 0),
    ("pr", "lower"): (53, 0),
    ("pr", "upper"): (28, 0),
    ("us", "house"): (0, 437),
    ("us", "senate"): (0, 100),
    ("wa", "lower"): (98, 0),
    ("wa", "upper"): (49, 0),
}

needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "openstates-people").is_dir()
    or not (SHARED_DATA / "congress-legislators").is_dir(),
    reason=f"the public legislator samples are not at {SHARED_DATA} (CI puts ../shared beside "
    "the checkout)",
)


@needs_shared_data
def test_importing_the_real_data_gives_exact_counts_and_a_second_import_is_a_no_op():
    openstates = SHARED_DATA / "openstates-people"
    congress = SHARED_DATA / "congress-legislators"
    states = legislators_import_openstates(path=openstates, as_of=REAL_AS_OF)
    us = legislators_import_congress(path=congress, as_of=REAL_AS_OF)

    assert (states.created, states.updated, states.retired) == (502, 0, 0)
    assert (us.created, us.updated, us.retired) == (537, 0, 0)
    counts = {}
    for jurisdiction, chamber, email in Legislator.objects.filter(active=True).values_list(
        "jurisdiction", "chamber", "email"
    ):
        with_email, without = counts.get((jurisdiction, chamber), (0, 0))
        counts[(jurisdiction, chamber)] = (
            (with_email + 1, without) if email else (with_email, without + 1)
        )
    assert counts == REAL_COUNTS

    # Who was skipped, and why: executive officials, one council member whose role ended.
    skipped_people = sorted(
        (s.file.split("/")[0], s.reason.split(" (")[0])
        for s in states.skipped
        if "/committees/" not in s.file
    )
    assert skipped_people == [
        ("dc", "no current legislative role"),
        ("dc", "no current legislative role"),  # Muriel Bowser, now in executive/
        ("dc", "not a legislator"),
        ("ne", "not a legislator"),
        ("ne", "not a legislator"),
        ("ne", "not a legislator"),
        ("ne", "not a legislator now"),  # Mike Hilgers, now attorney general
        ("ny", "not a legislator"),
        ("ny", "not a legislator"),
        ("ny", "not a legislator"),
        ("ny", "not a legislator"),
        ("pr", "not a legislator"),
        ("pr", "not a legislator"),
        ("wa", "not a legislator"),
        ("wa", "not a legislator"),
        ("wa", "not a legislator"),
        ("wa", "not a legislator"),
    ]
    # Doni Crawford still sits on five DC committees in the files.
    assert [s.record.split(", member ")[1] for s in states.skipped if "/committees/" in s.file] == [
        "Doni Crawford"
    ] * 5
    assert us.skipped == []
    assert (states.committees_created, states.memberships_added) == (248, 3079)
    assert (us.committees_created, us.memberships_added) == (230, 3879)

    # Irregularities the importer had to cope with, as they appear in the data.
    at_large = Legislator.objects.filter(district="At-Large")
    assert at_large.filter(jurisdiction="pr", chamber="lower").count() == 13
    assert at_large.filter(jurisdiction="pr", chamber="upper").count() == 12
    assert at_large.filter(jurisdiction="dc").count() == 3
    assert Legislator.objects.filter(party="Democratic/Working Families").count() == 39
    assert (
        at_large.filter(jurisdiction="us").count() == 12
    )  # 6 one-seat states, 5 delegates, Puerto Rico
    assert Legislator.objects.filter(title="Resident Commissioner").count() == 1
    assert Legislator.objects.filter(title="Delegate").count() == 5
    assert not Legislator.objects.filter(jurisdiction="us").exclude(email="").exists()

    states_again = legislators_import_openstates(path=openstates, as_of=REAL_AS_OF)
    us_again = legislators_import_congress(path=congress, as_of=REAL_AS_OF)
    assert states_again.summary == "created 0, updated 0, unchanged 502, retired 0, skipped 22"
    assert us_again.summary == "created 0, updated 0, unchanged 537, retired 0, skipped 0"
    assert (states_again.committees_created, states_again.committees_updated) == (0, 0)
    assert (us_again.memberships_added, us_again.memberships_removed) == (0, 0)


@needs_shared_data
def test_real_data_later_in_the_year_retires_the_senators_whose_terms_ended():
    congress = SHARED_DATA / "congress-legislators"
    legislators_import_congress(path=congress, as_of=REAL_AS_OF)
    # Two appointed senators served until the special election of 2026-11-03.
    result = legislators_import_congress(path=congress, as_of=date(2026, 11, 25))
    assert (result.unchanged, result.retired) == (535, 2)
    assert sorted(Legislator.objects.filter(active=False).values_list("name", flat=True)) == [
        "Ashley Moody",
        "Jon Husted",
    ]


def test_odd_shapes_in_a_person_file_are_tolerated(openstates):
    (openstates / "ne/legislature/Odd-00000000-0000-4000-8000-000000000020.yml").write_text(
        "id: ocd-person/00000000-0000-4000-8000-000000000020\nname: Odd Shape\n"
        "email: 'mailto:odd@example.org; other@example.org'\nparty: Nonpartisan\n"
        "offices: {classification: capitol}\nlinks: https://example.org\n"
        "roles:\n- type: legislature\n  start_date: 2023\n  district: 3\n"
    )
    (openstates / "ne/legislature/List.yml").write_text("- just\n- a list\n")
    (openstates / "ne/legislature/Empty.yml").write_text("")

    result = import_openstates(openstates)

    odd = person("ocd-person/00000000-0000-4000-8000-000000000020")
    assert (odd.email, odd.party, odd.district, odd.offices) == (
        "odd@example.org",
        "Nonpartisan",
        "3",
        [],
    )
    assert reasons(result)["ne/legislature/List.yml|"] == "not a person record"
    assert reasons(result)["ne/legislature/Empty.yml|"] == "empty file"


def test_a_failure_while_writing_leaves_nothing_half_written(openstates, monkeypatch):
    import campaigns.importers

    def fail(parsed, result):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(campaigns.importers, "_write_memberships", fail)
    with pytest.raises(RuntimeError):
        import_openstates(openstates)
    assert not Legislator.objects.exists()
    assert not Committee.objects.exists()
