"""Input checking for the lead area; no side effects here."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from signatories.models import BlockedDomain, Signature
from signatories.moderation import domain_normalize
from signatories.selectors import SignatureFilter

from .models import Campaign, CampaignRole, LetterVersion
from .services import CAMPAIGN_SETTINGS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_input():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CampaignCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Web address"),
        max_length=80,
        required=False,
        help_text=_("The end of /c/…/; leave empty to make one from the title."),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One or two sentences shown in campaign lists."),
    )
    letter_body = forms.CharField(
        label=_("The letter (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("You can change it later; sign-on opens only when you open it."),
    )


class CampaignSettingsForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = CAMPAIGN_SETTINGS
        widgets = {
            "signon_deadline": _datetime_input(),
            "summary": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"signon_deadline": _("Sign-on deadline")}


class LetterEditForm(forms.Form):
    title = forms.CharField(label=_("Title of the letter"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text=_("## A heading, - a bullet, **bold**, *italic*, [a link](https://example.org)."),
    )
    change = forms.ChoiceField(
        label=_("What kind of change is this?"),
        choices=[
            (LetterVersion.Change.MINOR, _("Minor: a typo or wording; signers stay")),
            (
                LetterVersion.Change.SUBSTANTIVE,
                _("Substantive: signers are emailed to re-confirm by a deadline"),
            ),
        ],
        widget=forms.RadioSelect,
        initial=LetterVersion.Change.MINOR,
        required=False,
    )
    note = forms.CharField(
        label=_("Note for the version history"),
        max_length=300,
        required=False,
        help_text=_("Public: say in a few words what changed."),
    )
    reconfirm_deadline = forms.DateTimeField(
        label=_("Re-confirmation deadline"),
        required=False,
        widget=_datetime_input(),
        help_text=_(
            "Substantive changes only: signers who have not re-confirmed by then leave the list."
        ),
    )
    base_number = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, has_signers: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_signers = has_signers
        if not has_signers:
            del self.fields["change"]
            del self.fields["reconfirm_deadline"]

    def clean(self):
        data = super().clean()
        if (
            self.has_signers
            and data.get("change") == LetterVersion.Change.SUBSTANTIVE
            and not data.get("reconfirm_deadline")
        ):
            self.add_error(
                "reconfirm_deadline", _("A substantive change needs a re-confirmation deadline.")
            )
        return data


class PartnerLinkForm(forms.Form):
    name = forms.CharField(label=_("Partner organization"), max_length=200)
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("Letters, numbers and hyphens; leave empty to make one from the name."),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"), choices=CampaignRole.Role.choices, initial=CampaignRole.Role.EDITOR
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=CampaignRole.Role.choices)


class BlockedDomainForm(forms.Form):
    domain = forms.CharField(label=_("Domain"), max_length=253)
    action = forms.ChoiceField(
        label=_("Sign-ons from it are"),
        choices=BlockedDomain.Action.choices,
        initial=BlockedDomain.Action.HOLD,
    )

    def clean_domain(self):
        return domain_normalize(self.cleaned_data["domain"])


class BlockedDomainRemoveForm(forms.Form):
    remove = forms.IntegerField(min_value=1)


class SignatureEditForm(forms.Form):
    display_name = forms.CharField(
        label=_("Name on the public list"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to show the name as signed."),
    )
    is_lead_organization = forms.BooleanField(
        label=_("Lead organization (listed first)"), required=False
    )


class SignatureFilterForm(forms.Form):
    """The queue's filter (GET); invalid parts are ignored with a message beside the field."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    state = forms.ChoiceField(label=_("State or region"), required=False)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Organizations and individuals")), *Signature.Kind.choices],
    )
    partner = forms.ChoiceField(label=_("Partner link"), required=False)
    created_from = forms.DateField(label=_("Signed from"), required=False, widget=_date_input())
    created_to = forms.DateField(label=_("Signed until"), required=False, widget=_date_input())
    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def __init__(self, *args, states, partners, include_contacts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("Any status")),
            *Signature.Status.choices,
            ("held", _("Held for review")),
            ("merged", _("Merged duplicates")),
        ]
        self.fields["state"].choices = [("", _("Any")), *((s, s) for s in states)]
        self.fields["partner"].choices = [
            ("", _("Any")),
            ("none", _("No partner link")),
            *((p.code, p.name) for p in partners),
        ]
        self.fields["q"].help_text = (
            _("Organization, display or signer name, or email.")
            if include_contacts
            else _("Organization or display name.")
        )

    def to_filter(self) -> SignatureFilter:
        if not self.is_bound:
            return SignatureFilter()
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value}
        return SignatureFilter(**data)


# The largest id a row can have (a 64-bit primary key): larger numbers in a list of ids
# make SQLite fail instead of matching nothing.
MAX_ID = 2**63 - 1


class IdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        invalid = ValidationError(_("The selection is not valid; reload the page."))
        try:
            ids = sorted({int(v) for v in value or []})
        except (TypeError, ValueError):
            raise invalid from None
        if any(not 0 < pk <= MAX_ID for pk in ids):
            raise invalid
        return ids


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("approve", _("Approve")),
        ("reject", _("Reject")),
        ("restore", _("Restore (undo a rejection)")),
        ("merge", _("Merge duplicates…")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    scope = forms.ChoiceField(
        choices=[("selected", _("Checked rows")), ("matching", _("All matching the filter"))],
        initial="selected",
    )
    ids = IdsField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("scope") == "selected" and not data.get("ids"):
            raise ValidationError(_("Check at least one row, or choose all matching the filter."))
        if data.get("action") == "merge" and data.get("scope") != "selected":
            raise ValidationError(_("To merge, check the rows that are the same organization."))
        return data


class MergeForm(forms.Form):
    ids = IdsField()
    survivor = forms.IntegerField(label=_("Entry to keep"))

    def clean(self):
        data = super().clean()
        ids, survivor = data.get("ids") or [], data.get("survivor")
        if survivor is not None and survivor not in ids:
            self.add_error("survivor", _("Choose one of the listed entries to keep."))
        if len(ids) < 2:
            raise ValidationError(_("Choose at least two entries to merge."))
        return data


class InvalidateForm(forms.Form):
    domain = forms.CharField(
        label=_("Email domain"),
        required=False,
        max_length=253,
        help_text=_("e.g. spam.example; subdomains are included."),
    )
    ip_hash = forms.ChoiceField(
        label=_("Sign-ons from one address"),
        required=False,
        help_text=_("Addresses are stored only as keyed hashes; groups of 2 or more are listed."),
    )
    created_from = forms.DateTimeField(
        label=_("Signed from"), required=False, widget=_datetime_input()
    )
    created_to = forms.DateTimeField(
        label=_("Signed before"), required=False, widget=_datetime_input()
    )
    expected_count = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, ip_groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ip_hash"].choices = [
            ("", _("Any")),
            *(
                (
                    ip_hash,
                    _("Address %(label)s… (%(count)d sign-ons)")
                    % {
                        "label": ip_hash[:10],
                        "count": count,
                    },
                )
                for ip_hash, count in ip_groups
            ),
        ]

    def clean_domain(self):
        value = self.cleaned_data["domain"]
        return domain_normalize(value) if value.strip() else ""

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start >= end:
            self.add_error("created_to", _("The end of the window must be after its start."))
        if not self.errors and not any(
            data.get(name) for name in ("domain", "ip_hash", "created_from", "created_to")
        ):
            raise ValidationError(_("Choose a domain, an address group or a time window."))
        return data


# --- Recipients and delivery ---------------------------------------------------------------


class RecipientFilterForm(forms.Form):
    """Which legislators to add (GET shows how many match; the POST adds them)."""

    jurisdiction = forms.ChoiceField(label=_("Legislature"), required=False)
    state = forms.ChoiceField(
        label=_("State represented"),
        required=False,
        help_text=_("e.g. the state's members of Congress."),
    )
    chamber = forms.ChoiceField(label=_("Chamber"), required=False)
    district = forms.CharField(label=_("District"), required=False, max_length=80)
    committee = forms.TypedChoiceField(
        label=_("Committee"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Choose a legislature first, then show the matches."),
    )
    party = forms.ChoiceField(label=_("Party"), required=False)

    def __init__(self, *args, choices, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].choices = [("", _("Any")), *choices.jurisdictions]
        self.fields["state"].choices = [("", _("Any")), *states]
        self.fields["chamber"].choices = [("", _("Any")), *choices.chambers]
        self.fields["committee"].choices = [("", _("Any")), *choices.committees]
        self.fields["party"].choices = [("", _("Any")), *((p, p) for p in choices.parties)]

    def clean(self):
        data = super().clean()
        if data.get("district") and not (data.get("jurisdiction") or data.get("state")):
            self.add_error(
                "district",
                _(
                    "Choose a legislature or a state as well: district numbers repeat from one "
                    "state to the next."
                ),
            )
        return data

    def filters(self) -> dict:
        """The filters given, or {} when none is (or the form is not valid)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class RecipientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a legislator by name"), required=False, max_length=100, strip=True
    )


class RecipientIdsForm(forms.Form):
    action = forms.ChoiceField(choices=[("add", _("Add")), ("remove", _("Remove"))])
    ids = IdsField(required=False)

    def clean(self):
        data = super().clean()
        if not data.get("ids"):
            raise ValidationError(_("Check at least one legislator."))
        return data


class DeliverySendForm(forms.Form):
    WHEN = [("now", _("Send now")), ("at", _("Send at a later time"))]
    when = forms.ChoiceField(label=_("When"), choices=WHEN, initial="now", widget=forms.RadioSelect)
    send_at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        widget=_datetime_input(),
        help_text=_("In the site's time zone. Sign-on closes when sending starts."),
    )
    expected_count = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def clean(self):
        data = super().clean()
        if data.get("expected_count") is None:
            raise ValidationError(_("The page was out of date: check the count and confirm again."))
        if data.get("when") == "at":
            send_at = data.get("send_at")
            if send_at is None:
                self.add_error("send_at", _("Choose the date and time to send at."))
            elif send_at <= timezone.now():
                self.add_error("send_at", _("Choose a time in the future."))
        else:
            data["send_at"] = None
        return data


class DeliveryResolveForm(forms.Form):
    ACTIONS = [("mark_sent", _("It arrived: mark as sent")), ("resend", _("Send it again"))]
    action = forms.ChoiceField(choices=ACTIONS)
    email = forms.EmailField(label=_("Email address"), required=False)
