import hashlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from signatories.selectors import public_list_changed

from .audit import audit_record
from .models import (
    Campaign,
    CampaignRecipient,
    CampaignRole,
    Committee,
    Legislator,
    LetterVersion,
    PartnerLink,
)
from .selectors import legislators_matching


def letter_sha256(*, title: str, body: str) -> str:
    """The fingerprint of a letter's text, as printed in the PDF and on the receipt.

    Line endings and trailing spaces are normalized so that the same words always give
    the same hash, whatever editor or browser submitted them.
    """
    lines = f"{title.strip()}\n\n{body.strip()}".replace("\r\n", "\n").replace("\r", "\n")
    normalized = "\n".join(line.rstrip() for line in lines.split("\n"))
    return hashlib.sha256(normalized.encode()).hexdigest()


@transaction.atomic
def campaign_create(
    *,
    slug: str,
    title: str,
    letter_title: str = "",
    letter_body: str,
    owner=None,
    **fields,
) -> Campaign:
    """Create a campaign with the first version of its letter (and its owner, if given)."""
    campaign = Campaign.objects.create(slug=slug, title=title, **fields)
    letter_version_create(
        campaign=campaign, title=letter_title or title, body=letter_body, author=owner
    )
    if owner is not None:
        CampaignRole.objects.create(campaign=campaign, user=owner, role=CampaignRole.Role.OWNER)
    return campaign


@transaction.atomic
def letter_version_create(
    *,
    campaign: Campaign,
    title: str,
    body: str,
    author=None,
    change: str = "",
    note: str = "",
) -> LetterVersion:
    """Record a new text of the letter; the same text as the latest version is not a new one."""
    # Lock the campaign row so two editors saving at once get consecutive numbers.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    digest = letter_sha256(title=title, body=body)
    latest = campaign.versions.order_by("-number").first()
    if latest is not None and latest.sha256 == digest:
        return latest
    if latest is None:
        change = LetterVersion.Change.INITIAL
    elif not change:
        change = LetterVersion.Change.MINOR
    # The campaign page (kept whole for anonymous visitors) shows the newest text.
    public_list_changed(campaign_id=campaign.pk)
    return LetterVersion.objects.create(
        campaign=campaign,
        number=(latest.number + 1) if latest else 1,
        title=title.strip(),
        body=body.replace("\r\n", "\n").strip(),
        sha256=digest,
        change=change,
        note=note,
        author=author,
        created_at=timezone.now(),
    )


def _recipients_insert(*, campaign: Campaign, legislator_ids: Iterable[int]) -> int:
    # Lock the campaign row so two leads adding at once count what each really added.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    chosen = set(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("legislator_id", flat=True)
    )
    now = timezone.now()
    new = [
        CampaignRecipient(campaign=campaign, legislator_id=pk, added_at=now)
        for pk in dict.fromkeys(legislator_ids)
        if pk not in chosen
    ]
    CampaignRecipient.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def recipients_add(*, campaign: Campaign, legislators: Iterable[Legislator | int]) -> int:
    """Add legislators (objects or ids) to a campaign's recipients; returns how many were new.

    Only active legislators are added; retired ones and ones already chosen are left out.
    """
    ids = [item.pk if isinstance(item, Legislator) else int(item) for item in legislators]
    active = Legislator.objects.filter(pk__in=ids, active=True).values_list("pk", flat=True)
    return _recipients_insert(campaign=campaign, legislator_ids=active.order_by("pk"))


@transaction.atomic
def recipients_add_matching(
    *,
    campaign: Campaign,
    jurisdiction: str | None = None,
    chamber: str | None = None,
    district: str | None = None,
    committee: Committee | int | None = None,
    party: str | None = None,
    state: str | None = None,
) -> int:
    """Add every active legislator meeting all the filters given; returns how many were new.

    A filter is required: an empty form must not send the letter to every office in the
    country.
    """
    filters = {
        "jurisdiction": jurisdiction,
        "chamber": chamber,
        "district": district,
        "committee": committee,
        "party": party,
        "state": state,
    }
    if not any(filters.values()):
        raise ValidationError(
            _("Choose at least one of jurisdiction, state, chamber, district, committee or party."),
            code="no_filter",
        )
    matching = legislators_matching(**filters).values_list("pk", flat=True).order_by("pk")
    return _recipients_insert(campaign=campaign, legislator_ids=matching)


@transaction.atomic
def recipients_remove(*, campaign: Campaign, legislators: Iterable[Legislator | int]) -> int:
    """Take legislators (objects or ids) off a campaign's recipients; returns how many."""
    ids = [item.pk if isinstance(item, Legislator) else int(item) for item in legislators]
    _total, by_model = CampaignRecipient.objects.filter(
        campaign=campaign, legislator_id__in=ids
    ).delete()
    return by_model.get(CampaignRecipient._meta.label, 0)


# --- The lead area: every change below is written to the audit log in its transaction. ---

# Settings a lead may change on the settings page, in the order the form shows them.
CAMPAIGN_SETTINGS = [
    "title",
    "summary",
    "signon_deadline",
    "goal",
    "requires_approval",
    "allows_individuals",
    "signer_order",
    "letter_language",
    "reply_to_email",
    "postal_address",
]

# Paths of the lead area that a campaign slug must not shadow (/lead/<slug>/).
RESERVED_SLUGS = {"new", "invitations"}

# Sign-on status changes a lead makes by hand; delivery and archiving happen elsewhere.
STATUS_CHANGES = {
    (Campaign.Status.DRAFT, Campaign.Status.OPEN),
    (Campaign.Status.OPEN, Campaign.Status.CLOSED),
    (Campaign.Status.CLOSED, Campaign.Status.OPEN),
}


@transaction.atomic
def campaign_start(*, actor, slug: str, title: str, summary: str = "", letter_body: str):
    """A lead creates a campaign: a draft with the first letter version, the lead as owner."""
    slug = slug or slugify(title)[:80].strip("-")
    if not slug:
        raise ValidationError(_("Give the campaign a web address made of letters and numbers."))
    if slug in RESERVED_SLUGS or Campaign.objects.filter(slug=slug).exists():
        raise ValidationError(
            _("Another campaign already uses the address %(slug)s.") % {"slug": slug}
        )
    campaign = campaign_create(
        slug=slug,
        title=title,
        summary=summary,
        letter_body=letter_body,
        owner=actor,
        status=Campaign.Status.DRAFT,
    )
    audit_record(
        campaign=campaign,
        actor=actor,
        action="campaign.create",
        target=campaign,
        after={"slug": slug, "title": title},
    )
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, actor, **values) -> Campaign:
    """Change campaign settings; only the fields that changed are saved and logged."""
    unknown = set(values) - set(CAMPAIGN_SETTINGS)
    if unknown:
        raise TypeError(f"Not a campaign setting: {', '.join(sorted(unknown))}")
    before, after = {}, {}
    for field, value in values.items():
        if getattr(campaign, field) != value:
            before[field] = getattr(campaign, field)
            after[field] = value
            setattr(campaign, field, value)
    if after:
        campaign.save(update_fields=[*after, "updated_at"])
        audit_record(
            campaign=campaign,
            actor=actor,
            action="campaign.update",
            target=campaign,
            before=before,
            after=after,
        )
    return campaign


@transaction.atomic
def campaign_status_change(*, campaign: Campaign, actor, status: str) -> Campaign:
    """Open or close sign-on (draft -> open, open -> closed, closed -> open)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if (campaign.status, status) not in STATUS_CHANGES:
        raise ValidationError(
            _("A campaign that is %(current)s cannot be set to %(new)s here.")
            % {"current": campaign.get_status_display(), "new": status}
        )
    before = campaign.status
    campaign.status = status
    campaign.save(update_fields=["status", "updated_at"])
    audit_record(
        campaign=campaign,
        actor=actor,
        action="campaign.status",
        target=campaign,
        before={"status": before},
        after={"status": status},
    )
    return campaign


# An owner archives a campaign once sign-on is over; its signers' contact data is then
# anonymized RETENTION_DAYS later (signatories/retention.py).
ARCHIVABLE_STATUSES = [Campaign.Status.CLOSED, Campaign.Status.DELIVERED]


@transaction.atomic
def campaign_archive(*, campaign: Campaign, actor) -> Campaign:
    """End a campaign: it leaves the home page (its page and public list stay) and the
    retention period for its signers' contact data starts."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in ARCHIVABLE_STATUSES:
        raise ValidationError(
            _(
                "Only a campaign whose sign-on is closed, or whose letter was delivered, "
                "can be archived."
            )
        )
    before = campaign.status
    campaign.status = Campaign.Status.ARCHIVED
    campaign.archived_at = timezone.now()
    campaign.save(update_fields=["status", "archived_at", "updated_at"])
    audit_record(
        campaign=campaign,
        actor=actor,
        action="campaign.archive",
        target=campaign,
        before={"status": before},
        after={"status": campaign.status, "archived_at": campaign.archived_at},
    )
    return campaign


@transaction.atomic
def partner_link_create(*, campaign: Campaign, actor, name: str, code: str = "") -> PartnerLink:
    """A recruiting link for a coalition partner: /c/<slug>/?via=<code>."""
    name = " ".join(name.split())
    code = slugify(code or name)[:40].strip("-")
    if not name or not code:
        raise ValidationError(_("Give the partner a name (and, if you like, a short code)."))
    if campaign.partner_links.filter(code=code).exists():
        raise ValidationError(_("The code %(code)s is already in use.") % {"code": code})
    link = PartnerLink.objects.create(campaign=campaign, code=code, name=name)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="partner_link.create",
        target=link,
        after={"code": code, "name": name},
    )
    return link


@transaction.atomic
def letter_edit(
    *,
    campaign: Campaign,
    actor,
    title: str,
    body: str,
    change: str = "",
    note: str = "",
    reconfirm_deadline=None,
    base_number: int | None = None,
) -> LetterVersion:
    """Save an edited letter as a new version; a substantive change asks signers to re-confirm.

    `base_number` is the version the lead started from: if someone saved another version
    meanwhile, nothing is saved and the lead is asked to look at it first. Without any
    signature the change is minor (nobody to ask).
    """
    from .reconfirmation import letter_version_request_reconfirmation

    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    current = campaign.versions.order_by("-number").first()
    if base_number is not None and current.number != base_number:
        raise ValidationError(
            _(
                "Someone saved version %(number)d while you were editing. "
                "Open the letter again to see their changes."
            )
            % {"number": current.number}
        )
    if not body.strip() or not title.strip():
        raise ValidationError(_("The letter needs a title and a text."))
    if change not in (LetterVersion.Change.MINOR, LetterVersion.Change.SUBSTANTIVE):
        change = LetterVersion.Change.MINOR
    if not campaign.signatures.exists():
        change = LetterVersion.Change.MINOR
    if change == LetterVersion.Change.SUBSTANTIVE and (
        reconfirm_deadline is None or reconfirm_deadline <= timezone.now()
    ):
        raise ValidationError(_("Choose a re-confirmation deadline in the future."))
    if letter_sha256(title=title, body=body) == current.sha256:
        raise ValidationError(_("The letter is unchanged; there is nothing to save."))
    version = letter_version_create(
        campaign=campaign, title=title, body=body, author=actor, change=change, note=note
    )
    audit_record(
        campaign=campaign,
        actor=actor,
        action="letter.edit",
        target=version,
        before={"version": current.number, "sha256": current.sha256},
        after={
            "version": version.number,
            "sha256": version.sha256,
            "change": version.change,
            "note": note,
        },
    )
    if change == LetterVersion.Change.SUBSTANTIVE:
        letter_version_request_reconfirmation(
            version=version, deadline=reconfirm_deadline, actor=actor
        )
    return version


# --- Recipients chosen by a lead: the rules above, written to the audit log. -------------


@transaction.atomic
def recipients_lead_add(*, campaign: Campaign, actor, legislator_ids: Iterable[int]) -> int:
    """A lead adds legislators one by one; returns how many were new."""
    ids = sorted(set(legislator_ids))
    added = recipients_add(campaign=campaign, legislators=ids)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="recipients.add",
        after={"legislators": ids[:50], "added": added},
    )
    return added


@transaction.atomic
def recipients_lead_add_matching(*, campaign: Campaign, actor, **filters) -> int:
    """A lead adds every active legislator matching the filters; returns how many were new."""
    filters = {name: value for name, value in filters.items() if value}
    added = recipients_add_matching(campaign=campaign, **filters)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="recipients.add",
        after={"filters": filters, "added": added},
    )
    return added


@transaction.atomic
def recipients_lead_remove(*, campaign: Campaign, actor, legislator_ids: Iterable[int]) -> int:
    """A lead takes legislators off the recipients; returns how many."""
    ids = sorted(set(legislator_ids))
    removed = recipients_remove(campaign=campaign, legislators=ids)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="recipients.remove",
        before={"legislators": ids[:50]},
        after={"removed": removed},
    )
    return removed
