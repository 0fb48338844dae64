"""A site with something on every page, so that every form a page can show is there.

Built once per fuzz module (it takes a fraction of a second: no PDF is rendered; the
delivered copies' "PDFs" are small files with their real sha256) and rolled back after.
The owner holds campaigns in every status; the open one has signers in every state, a
partner link, a co-lead and an invitation, a blocked domain and a bulk action to undo;
the closed one has recipients and a stalled delivery with copies to resolve and to mail;
the delivered one has a public receipt with PDFs; the archived one still has contact data.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.test import Client
from django.utils import timezone

from campaigns import roles
from campaigns.models import (
    Campaign,
    CampaignInvitation,
    CampaignRecipient,
    CampaignRole,
    Committee,
    CommitteeMembership,
    Delivery,
    DeliveryRun,
    LetterVersion,
    PartnerLink,
)
from campaigns.services import letter_version_create
from signatories import moderation
from signatories.models import BlockedDomain, Signature
from signatories.privacy import ip_hash
from tests.factories import make_campaign, make_legislator, make_signature
from tests.lead import make_verified_user
from tests.public_pages import signer_link_tokens

IP_ADDRESS = "203.0.113.9"


@dataclass
class FuzzWorld:
    owner: object
    viewer: object
    open: Campaign
    closed: Campaign
    delivered: Campaign
    archived: Campaign
    draft: Campaign
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def campaigns(self) -> list[Campaign]:
        return [self.open, self.closed, self.delivered, self.archived, self.draft]


def _pdf(campaign: Campaign, name: str) -> tuple[str, str]:
    """A small file standing for a copy's snapshot: (pdf_name, sha256)."""
    content = f"%PDF-1.4\n% fuzz copy {campaign.slug} {name}\n%%EOF\n".encode()
    sha256 = hashlib.sha256(content).hexdigest()
    pdf_name = f"deliveries/campaign-{campaign.pk}/{sha256}.pdf"
    path = Path(settings.MEDIA_ROOT) / pdf_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return pdf_name, sha256


def _copy(run: DeliveryRun, legislator, status: str, *, channel=Delivery.Channel.EMAIL, **fields):
    pdf_name, sha256 = _pdf(run.campaign, legislator.name)
    return Delivery.objects.create(
        run=run,
        campaign=run.campaign,
        legislator=legislator,
        channel=channel,
        status=status,
        to_email=legislator.email,
        pdf_name=pdf_name,
        pdf_sha256=sha256,
        sent_at=timezone.now() if status != Delivery.Status.READY else None,
        **fields,
    )


def _run(campaign: Campaign, status: str, **fields) -> DeliveryRun:
    now = timezone.now()
    return DeliveryRun.objects.create(
        campaign=campaign,
        status=status,
        scheduled_for=now - timedelta(hours=1),
        letter_date=now.date(),
        letter_version=campaign.versions.order_by("-number").first(),
        **fields,
    )


def _signature(campaign, **fields):
    fields.setdefault("ip_hash", ip_hash(IP_ADDRESS))
    fields.setdefault("signer_title", "Coordinator")
    return make_signature(campaign=campaign, **fields)


def _open_campaign(owner) -> tuple[Campaign, dict[str, str]]:
    campaign = make_campaign(
        owner=owner,
        title="Open letter",
        allows_individuals=True,
        goal=50,
        requires_approval=True,
        reply_to_email="team@coalition.example",
    )
    # One recipient and nothing sent yet: the delivery page offers to send.
    CampaignRecipient.objects.create(campaign=campaign, legislator=make_legislator())
    letter_version_create(
        campaign=campaign,
        title="Open letter",
        body="To the legislature:\n\nA revised text.\n",
        change=LetterVersion.Change.MINOR,
    )
    partner = PartnerLink.objects.create(campaign=campaign, code="allies", name="Allies")
    public = _signature(
        campaign,
        email="public.signer@fuzz-mail.example",
        organization_name="Riverside Tenants Union",
        is_lead_organization=True,
        partner_link=partner,
        status=Signature.Status.APPROVED,
    )
    for _ in range(4):  # several pages of the public list (the module's page size is 3)
        _signature(campaign, state="WA", status=Signature.Status.APPROVED)
    # The same organization twice, waiting for a lead: the merge page has candidates.
    _signature(campaign, organization_name="Harbor Light Collective", held_for_review=True)
    _signature(campaign, organization_name="Harbor Light", email="second@fuzz-mail.example")
    _signature(
        campaign,
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        organization_key="",
        listed_anonymously=True,
        public_descriptor="An individual with lived experience",
        state="OR",
    )
    pending = _signature(campaign, status=Signature.Status.PENDING)
    _signature(campaign, status=Signature.Status.WITHDRAWN)
    rejected = _signature(campaign, email="spam@spam.example")
    # A bulk action to undo (the queue then shows the "Undo" form).
    moderation.signatures_reject(
        campaign=campaign, actor=owner, selection=Signature.objects.filter(pk=rejected.pk)
    )
    BlockedDomain.objects.create(campaign=campaign, domain="blocked.example", created_by=owner)
    editor = make_verified_user()
    CampaignRole.objects.create(campaign=campaign, user=editor, role=CampaignRole.Role.EDITOR)
    invitation_token = "fuzz-invitation-token-0123456789abcdef"
    CampaignInvitation.objects.create(
        campaign=campaign,
        email="invited.colead@fuzz-mail.example",
        role=CampaignRole.Role.EDITOR,
        token_hash=roles._token_hash(invitation_token),
        invited_by=owner,
        expires_at=timezone.now() + timedelta(days=7),
    )

    newest = campaign.versions.order_by("-number").first()
    tokens = signer_link_tokens(pending=pending, public=public, version=newest)
    tokens["invitation"] = invitation_token
    return campaign, tokens


def _closed_campaign(owner) -> Campaign:
    """Recipients chosen and a delivery that stalled: copies to resolve and to mail."""
    campaign = make_campaign(
        owner=owner,
        title="Closed letter",
        status=Campaign.Status.CLOSED,
        reply_to_email="team@coalition.example",
    )
    _signature(campaign)
    senators = [make_legislator(name=f"Senator Fuzz {n}", party="Independent") for n in range(3)]
    committee = Committee.objects.create(
        source="openstates",
        source_id="ocd-organization/fuzz",
        name="Human Services",
        jurisdiction="wa",
        chamber=Committee.Chamber.UPPER,
    )
    CommitteeMembership.objects.create(committee=committee, legislator=senators[0])
    by_post = make_legislator(
        name="Representative Mailonly",
        source="congress",
        source_id="B000001",
        jurisdiction="us",
        jurisdiction_name="U.S. Congress",
        chamber="house",
        email="",
    )
    make_legislator(name="Senator Notchosen")
    for legislator in [*senators, by_post]:
        CampaignRecipient.objects.create(campaign=campaign, legislator=legislator)
    quiet = timezone.now() - timedelta(hours=1)
    run = _run(campaign, DeliveryRun.Status.RUNNING, started_at=quiet, heartbeat_at=quiet)
    _copy(run, senators[0], Delivery.Status.UNCONFIRMED, attempts=1)
    _copy(run, senators[1], Delivery.Status.BOUNCED, attempts=1)
    _copy(run, senators[2], Delivery.Status.SENT, attempts=1, message_id="<fuzz-1@example>")
    _copy(run, by_post, Delivery.Status.READY, channel=Delivery.Channel.PRINT)
    return campaign


def _delivered_campaign(owner) -> Campaign:
    campaign = make_campaign(
        owner=owner,
        title="Delivered letter",
        status=Campaign.Status.DELIVERED,
        reply_to_email="team@coalition.example",
    )
    _signature(campaign)
    run = _run(campaign, DeliveryRun.Status.COMPLETED, completed_at=timezone.now())
    _copy(run, make_legislator(name="Receipt Office Email"), Delivery.Status.DELIVERED)
    _copy(
        run,
        make_legislator(name="Receipt Office Post", email=""),
        Delivery.Status.MAILED,
        channel=Delivery.Channel.PRINT,
    )
    return campaign


def make_fuzz_world() -> FuzzWorld:
    owner = make_verified_user(email="owner@fuzz-lead.example")
    open_campaign, tokens = _open_campaign(owner)
    archived = make_campaign(owner=owner, title="Archived letter", status=Campaign.Status.ARCHIVED)
    Campaign.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    _signature(archived)
    world = FuzzWorld(
        owner=owner,
        viewer=make_verified_user(email="viewer@fuzz-lead.example"),
        open=open_campaign,
        closed=_closed_campaign(owner),
        delivered=_delivered_campaign(owner),
        archived=archived,
        draft=make_campaign(owner=owner, title="Draft letter", status=Campaign.Status.DRAFT),
        tokens=tokens,
    )
    for campaign in world.campaigns:
        CampaignRole.objects.create(
            campaign=campaign, user=world.viewer, role=CampaignRole.Role.VIEWER
        )
    return world


def visitors(world: FuzzWorld) -> dict[str, Client]:
    """A test client per kind of visitor: anonymous, the owner of every campaign, and a
    co-lead who may only look (a viewer). Signing in makes one session row each."""
    clients = {"anonymous": Client(), "owner": Client(), "viewer": Client()}
    clients["owner"].force_login(world.owner)
    clients["viewer"].force_login(world.viewer)
    return clients
