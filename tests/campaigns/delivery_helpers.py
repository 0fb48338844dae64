"""A campaign ready to send, for the delivery tests: signers, a reply-to, chosen offices."""

from dataclasses import dataclass

from campaigns.models import Campaign, CampaignRecipient, Legislator
from tests.factories import make_campaign, make_legislator, make_signature


@dataclass
class SendWorld:
    campaign: Campaign
    by_email: list[Legislator]
    by_post: list[Legislator]

    @property
    def legislators(self) -> list[Legislator]:
        return [*self.by_email, *self.by_post]


def make_send_world(*, emails: int = 2, posts: int = 1, owner=None, **campaign_fields) -> SendWorld:
    campaign_fields.setdefault("reply_to_email", "team@coalition.example")
    campaign_fields.setdefault("status", Campaign.Status.CLOSED)
    campaign = make_campaign(owner=owner, title="Fund the shelters", **campaign_fields)
    make_signature(campaign=campaign, organization_name="Harbor Light Collective", state="WA")
    make_signature(campaign=campaign, organization_name="Río Grande Mutual Aid", state="TX")
    by_email = [
        make_legislator(
            name=f"Senator Person {n}",
            family_name=f"Person{n}",
            email=f"office{n}@leg.example",
            offices=[
                {
                    "classification": "capitol",
                    "address": f"{n} Legislative Building, PO Box 40400, Olympia, WA 98504",
                    "voice": "360-555-0100",
                }
            ],
        )
        for n in range(emails)
    ]
    by_post = [
        make_legislator(
            source="congress",
            source_id=f"B{n:06d}",
            name=f"Representative Mailonly {n}",
            family_name=f"Mailonly{n}",
            title="Representative",
            jurisdiction="us",
            jurisdiction_name="U.S. Congress",
            body="U.S. House of Representatives",
            chamber="house",
            district=str(n + 1),
            email="",
            contact_form_url=f"https://house.example/{n}/contact",
            offices=[
                {
                    "classification": "capitol",
                    "address": f"{n + 100} Rayburn House Office Building Washington DC 20515",
                    "voice": "202-555-0100",
                },
                {"classification": "district", "address": "1 Main St, Kent, WA 98032"},
            ],
        )
        for n in range(posts)
    ]
    for legislator in [*by_email, *by_post]:
        CampaignRecipient.objects.create(campaign=campaign, legislator=legislator)
    return SendWorld(campaign=campaign, by_email=by_email, by_post=by_post)
