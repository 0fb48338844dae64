import pytest

from campaigns.models import LetterVersion
from campaigns.services import letter_sha256, letter_version_create
from tests.factories import make_campaign, make_user


def test_same_text_gives_same_hash():
    assert letter_sha256(title="T", body="Hello\nworld") == letter_sha256(
        title="T", body="Hello\nworld"
    )


def test_line_endings_and_trailing_spaces_do_not_change_the_hash():
    unix = letter_sha256(title="T", body="Hello\nworld\n")
    assert letter_sha256(title="T ", body="Hello  \r\nworld\r\n\r\n") == unix


def test_any_edit_changes_the_hash():
    base = letter_sha256(title="T", body="We ask you to act.")
    assert letter_sha256(title="T", body="We ask you to act!") != base
    assert letter_sha256(title="T2", body="We ask you to act.") != base


@pytest.mark.django_db
def test_first_version_is_created_with_the_campaign():
    campaign = make_campaign(body="First text")
    (version,) = campaign.versions.all()
    assert version.number == 1
    assert version.change == LetterVersion.Change.INITIAL
    assert version.sha256 == letter_sha256(title=version.title, body="First text")


@pytest.mark.django_db
def test_an_edit_makes_a_new_numbered_version_and_keeps_the_old_one():
    author = make_user()
    campaign = make_campaign(body="First text")
    first = campaign.versions.get()
    second = letter_version_create(
        campaign=campaign,
        title=first.title,
        body="Second text",
        author=author,
        change=LetterVersion.Change.SUBSTANTIVE,
        note="Added a recommendation",
    )
    assert second.number == 2
    assert second.sha256 != first.sha256
    assert second.change == LetterVersion.Change.SUBSTANTIVE
    assert second.author == author
    first.refresh_from_db()
    assert first.body == "First text"
    assert campaign.versions.count() == 2


@pytest.mark.django_db
def test_saving_the_same_text_again_is_not_a_new_version():
    campaign = make_campaign(body="First text")
    first = campaign.versions.get()
    again = letter_version_create(campaign=campaign, title=first.title, body="First text\r\n")
    assert again.pk == first.pk
    assert campaign.versions.count() == 1
