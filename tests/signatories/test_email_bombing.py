"""Mail-bombing through the sign-on form: 1,000 sign-ons naming one victim's address.

The rate limits per IP and per address are turned off here: an attacker with many IPs who
spreads the attempts over hours gets past them, and they would answer 429 before the cap
shows. What stands then is the daily cap per address (SIGNER_EMAILS_PER_DAY, counted in
the database): at most that many emails reach the victim, and every sign-on gets the same
"check your email" page, whether it created a signature, repeated one or was capped.
"""

from urllib.parse import urlencode

import pytest

from signatories.models import EmailQuota, Signature
from tests.factories import make_campaign

from .conftest import ORIGIN, signon_form

pytestmark = pytest.mark.django_db

SIGN_ONS = 1_000
VICTIM = "victim.inbox@private-mail.example"
# The same mailbox as typed by different people.
SPELLINGS = [VICTIM, VICTIM.upper(), f"  {VICTIM.title()} ", "Victim.Inbox@private-mail.example"]


def test_a_thousand_sign_ons_naming_one_victim_send_at_most_the_daily_cap(
    client, settings, outbox, run_on_commit
):
    settings.SIGNON_LIMIT_PER_IP = 0
    settings.SIGNON_LIMIT_PER_EMAIL = 0
    # The interval between emails about one signature is 0 here (conftest), so that only
    # the daily cap holds; two campaigns, so that it is per address, not per signature.
    cap = settings.SIGNER_EMAILS_PER_DAY
    assert 0 < cap < 20
    campaigns = [make_campaign(title="Fund shelters"), make_campaign(title="Housing first")]
    answers: dict[int, set] = {campaign.pk: set() for campaign in campaigns}
    for i in range(SIGN_ONS):
        campaign = campaigns[i % 2]
        data = signon_form(
            email=SPELLINGS[i % len(SPELLINGS)],
            organization_name=f"Decoy Organization {i}",
            signer_name=f"Decoy {i}",
            state=["WA", "OR", "CA", "NY"][i % 4],
        )
        with run_on_commit():
            # Encoded as the browser sends the form (the test client's default multipart
            # costs more than the sign-on itself).
            response = client.post(
                f"/c/{campaign.slug}/sign/",
                urlencode(data),
                content_type="application/x-www-form-urlencoded",
                HTTP_ORIGIN=ORIGIN,
                REMOTE_ADDR=f"10.{i // 250}.{i % 250}.{i % 7 + 1}",
            )
        # The whole answer: status, every header, body.
        answers[campaign.pk].add(
            (response.status_code, tuple(sorted(response.headers.items())), response.content)
        )

    assert len(outbox) <= cap
    assert len(outbox) == cap  # the first ones do go out: the cap, not something else, held
    assert {message.to[0].strip().lower() for message in outbox} == {VICTIM}
    assert EmailQuota.objects.get().sent == cap
    assert Signature.objects.count() == 2  # one per campaign: repeats made nothing
    # Byte for byte the same answer to every sign-on of a campaign: a redirect to its
    # "check your email" page, with no cookie, so the page it leads to is the same too.
    assert not client.cookies
    for campaign in campaigns:
        ((status, headers, body),) = answers[campaign.pk]
        assert (status, body) == (303, b"")
        assert dict(headers)["Location"] == f"/c/{campaign.slug}/signed/"
        assert "Set-Cookie" not in dict(headers)
        page = client.get(f"/c/{campaign.slug}/signed/").content.decode()
        assert "<h1>Check your email</h1>" in page and campaign.title in page
        assert "victim" not in page.lower()
