"""The Open States importer on the shapes other states' files take (VT, NH, TX).

tests/fixtures/legislators/openstates-states/ is hand-written and fictional, modelled on
what a sample of every state's `people` files showed: Vermont's "district map" links, a
New Hampshire role listed twice (once with the end date of a resignation), a legislator
turned lieutenant governor.
"""

from datetime import date
from pathlib import Path

import pytest

from campaigns.importers import legislators_import_openstates
from campaigns.models import Legislator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "legislators"
TREE = FIXTURES / "openstates-states"
AS_OF = date(2026, 6, 1)
VERA = "ocd-person/00000000-0000-4000-8000-000000000101"
NORA = "ocd-person/00000000-0000-4000-8000-000000000102"
OWEN = "ocd-person/00000000-0000-4000-8000-000000000103"

pytestmark = pytest.mark.django_db


def import_tree(as_of=AS_OF):
    return legislators_import_openstates(path=TREE, as_of=as_of)


def reasons(result) -> dict[str, str]:
    return {s.record.split(" (")[0]: s.reason for s in result.skipped}


def test_the_homepage_link_is_the_website_not_the_district_map():
    import_tree()
    vera = Legislator.objects.get(source_id=VERA)
    assert vera.website == "https://example.org/people/vera-maple"
    assert vera.contact_form_url == "https://example.org/contact?member=vmaple"
    assert (vera.district, vera.title, vera.body) == (
        "Chittenden-6-1",
        "Representative",
        "Vermont House of Representatives",
    )


def test_a_role_listed_again_with_an_end_date_has_ended():
    # Before the end date the open copy is current; after it, the member has left.
    import_tree(as_of=date(2026, 1, 15))
    assert Legislator.objects.get(source_id=NORA).active

    result = import_tree()

    assert reasons(result)["Nora Birch"] == (
        "no current legislative role (last one ended 2026-03-18)"
    )
    assert not Legislator.objects.get(source_id=NORA).active
    assert result.retired == 1
    # Neither a new term in the same seat (a later start) nor a left-over copy that ends the
    # day before it starts is mistaken for a resignation.
    owen = Legislator.objects.get(source_id=OWEN)
    assert (owen.active, owen.district) == (True, "Rockingham 30")


def test_a_former_legislator_in_another_office_is_skipped_with_that_office():
    result = import_tree()
    assert reasons(result)["Lou Ward"] == (
        "not a legislator now (current role: lt_governor; last legislative role ended 2014-12-31)"
    )
