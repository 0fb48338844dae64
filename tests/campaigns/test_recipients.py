import pytest
from django.core.exceptions import ValidationError

from campaigns.models import CampaignRecipient, Committee, CommitteeMembership, Legislator
from campaigns.selectors import (
    campaign_recipients,
    legislators_matching,
    recipient_filter_choices,
    recipients_summary,
)
from campaigns.services import recipients_add, recipients_add_matching, recipients_remove
from tests.factories import make_campaign, make_legislator, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    """A small directory: two states, Congress, a committee, a retired member."""
    people = {
        "wa_sen_7": make_legislator(district="7", party="Democratic"),
        "wa_sen_8": make_legislator(district="8", party="Republican", email=""),
        "wa_rep_7": make_legislator(
            chamber="lower", district="7", party="Democratic/Working Families"
        ),
        "ny_sen": make_legislator(
            jurisdiction="ny",
            jurisdiction_name="New York",
            state="NY",
            district="59",
            party="Working Families/Democratic",
        ),
        "ny_rep": make_legislator(
            jurisdiction="ny",
            jurisdiction_name="New York",
            state="NY",
            chamber="lower",
            district="101",
            party="Republican/Conservative/Independence",
        ),
        "us_wa": make_legislator(
            source="congress",
            jurisdiction="us",
            jurisdiction_name="U.S. Congress",
            state="WA",
            chamber="senate",
            district="",
            email="",
            contact_form_url="https://example.org/contact",
        ),
        "retired": make_legislator(district="9", active=False),
    }
    committee = Committee.objects.create(
        source="openstates",
        source_id="c1",
        name="Ways and Means",
        jurisdiction="wa",
        chamber="upper",
    )
    CommitteeMembership.objects.create(committee=committee, legislator=people["wa_sen_7"])
    CommitteeMembership.objects.create(committee=committee, legislator=people["retired"])
    people["committee"] = committee
    return people


def chosen(campaign) -> set[int]:
    return set(campaign.recipients.values_list("legislator_id", flat=True))


def test_adding_by_hand_counts_new_ones_and_never_duplicates(directory):
    campaign = make_campaign()
    assert recipients_add(campaign=campaign, legislators=[directory["wa_sen_7"]]) == 1
    assert (
        recipients_add(
            campaign=campaign, legislators=[directory["wa_sen_7"].pk, directory["ny_sen"].pk]
        )
        == 1
    )
    assert chosen(campaign) == {directory["wa_sen_7"].pk, directory["ny_sen"].pk}
    assert CampaignRecipient.objects.count() == 2


def test_retired_legislators_are_never_added(directory):
    campaign = make_campaign()
    assert recipients_add(campaign=campaign, legislators=[directory["retired"]]) == 0
    assert recipients_add_matching(campaign=campaign, district="9") == 0
    assert not campaign.recipients.exists()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"jurisdiction": "wa"}, {"wa_sen_7", "wa_sen_8", "wa_rep_7"}),
        ({"jurisdiction": "WA", "chamber": "upper"}, {"wa_sen_7", "wa_sen_8"}),
        ({"jurisdiction": "wa", "district": "7"}, {"wa_sen_7", "wa_rep_7"}),
        ({"state": "wa"}, {"wa_sen_7", "wa_sen_8", "wa_rep_7", "us_wa"}),
        ({"chamber": "senate"}, {"us_wa"}),
        ({"party": "Democratic"}, {"wa_sen_7", "wa_rep_7", "ny_sen", "us_wa"}),
        ({"party": "Working Families"}, {"wa_rep_7", "ny_sen"}),
        ({"party": "Conservative"}, {"ny_rep"}),
        ({"party": "Republican", "jurisdiction": "ny"}, {"ny_rep"}),
    ],
)
def test_adding_by_filters(directory, filters, expected):
    campaign = make_campaign()
    added = recipients_add_matching(campaign=campaign, **filters)
    assert added == len(expected)
    assert chosen(campaign) == {directory[key].pk for key in expected}


def test_adding_by_committee_takes_its_active_members(directory):
    campaign = make_campaign()
    assert recipients_add_matching(campaign=campaign, committee=directory["committee"]) == 1
    assert recipients_add_matching(campaign=campaign, committee=directory["committee"].pk) == 0
    assert chosen(campaign) == {directory["wa_sen_7"].pk}


def test_adding_matching_twice_adds_only_the_new_ones(directory):
    campaign = make_campaign()
    recipients_add(campaign=campaign, legislators=[directory["wa_sen_7"]])
    assert recipients_add_matching(campaign=campaign, jurisdiction="wa") == 2
    assert recipients_add_matching(campaign=campaign, jurisdiction="wa") == 0
    assert campaign.recipients.count() == 3


def test_adding_matching_without_any_filter_is_refused_and_adds_nothing(directory):
    campaign = make_campaign()
    with pytest.raises(ValidationError) as error:
        recipients_add_matching(campaign=campaign, jurisdiction="", party=None)
    assert error.value.code == "no_filter"
    assert not CampaignRecipient.objects.exists()


def test_adding_matching_takes_the_same_queries_for_many_legislators(
    directory, django_assert_num_queries
):
    for n in range(30):
        make_legislator(jurisdiction="ne", jurisdiction_name="Nebraska", district=str(n))
    few, many = make_campaign(), make_campaign()
    # savepoint, lock, chosen, matching, insert, release
    with django_assert_num_queries(6):
        assert recipients_add_matching(campaign=few, jurisdiction="ny") == 2
    with django_assert_num_queries(6):
        assert recipients_add_matching(campaign=many, jurisdiction="ne") == 30


def test_removing_recipients(directory):
    campaign = make_campaign()
    other = make_campaign()
    recipients_add_matching(campaign=campaign, jurisdiction="wa")
    recipients_add_matching(campaign=other, jurisdiction="wa")
    removed = recipients_remove(
        campaign=campaign, legislators=[directory["wa_sen_7"], directory["ny_sen"].pk]
    )
    assert removed == 1
    assert chosen(campaign) == {directory["wa_sen_8"].pk, directory["wa_rep_7"].pk}
    assert other.recipients.count() == 3


def test_summary_counts_email_and_print_and_mail(directory):
    campaign = make_campaign()
    recipients_add_matching(campaign=campaign, state="WA")
    # A recipient chosen before leaving office stays on the list, counted as retired.
    Legislator.objects.filter(pk=directory["wa_rep_7"].pk).update(active=False)

    summary = recipients_summary(campaign=campaign)

    assert (summary.total, summary.with_email, summary.print_and_mail, summary.retired) == (
        4,
        2,
        2,
        1,
    )
    assert recipients_summary(campaign=make_campaign()).total == 0


def test_campaign_recipients_lists_the_chosen_legislators_in_order(directory):
    campaign = make_campaign()
    recipients_add(
        campaign=campaign,
        legislators=[directory["us_wa"], directory["ny_sen"], directory["wa_rep_7"]],
    )
    assert list(campaign_recipients(campaign=campaign)) == [
        directory["ny_sen"],
        directory["us_wa"],
        directory["wa_rep_7"],
    ]


def test_matching_counts_what_a_filter_would_add(directory):
    assert legislators_matching(jurisdiction="wa").count() == 3
    assert legislators_matching().count() == 6  # active only


def test_filter_choices_list_what_is_present(directory):
    choices = recipient_filter_choices()
    assert choices.jurisdictions == [
        ("ny", "New York"),
        ("us", "U.S. Congress"),
        ("wa", "Washington"),
    ]
    assert [value for value, _ in choices.chambers] == ["upper", "lower", "senate"]
    assert choices.parties == [
        "Conservative",
        "Democratic",
        "Independence",
        "Republican",
        "Working Families",
    ]
    assert choices.committees == []

    washington = recipient_filter_choices(jurisdiction="wa")
    assert [value for value, _ in washington.chambers] == ["upper", "lower"]
    assert washington.committees == [(directory["committee"].pk, "Ways and Means")]
    assert washington.parties == ["Democratic", "Republican", "Working Families"]


def test_admin_lists_legislators_committees_and_recipients(client, directory):
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    campaign = make_campaign()
    recipients_add(campaign=campaign, legislators=[directory["wa_sen_7"]])
    for url in [
        "/admin/campaigns/legislator/",
        f"/admin/campaigns/legislator/{directory['wa_sen_7'].pk}/change/",
        "/admin/campaigns/committee/",
        f"/admin/campaigns/committee/{directory['committee'].pk}/change/",
        "/admin/campaigns/campaignrecipient/",
    ]:
        assert client.get(url).status_code == 200, url
    # Imported rows are read-only: no adding, no deleting.
    assert client.get("/admin/campaigns/legislator/add/").status_code == 403
    assert (
        client.get(f"/admin/campaigns/legislator/{directory['wa_sen_7'].pk}/delete/").status_code
        == 403
    )
