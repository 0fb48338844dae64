"""Sign-on input: every field checked on the server, with a message at the field."""

import functools
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import slug_re
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .countries import COUNTRIES
from .models import Signature
from .normalize import email_canonical
from .regions import US_STATES
from .services import SignerData

# Bidirectional overrides can make a name read differently from what it is.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_plain_text(value: str) -> None:
    """Names are plain text: no markup, no control or direction-override characters."""
    if "<" in value or ">" in value:
        raise ValidationError(_("Use plain text: < and > are not allowed."), code="markup")
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in value):
        raise ValidationError(
            _("Remove the invisible control characters from this field."), code="control"
        )


class PlainTextField(forms.CharField):
    default_validators = [validate_plain_text]


class StrictCheckboxInput(forms.CheckboxInput):
    """Hands the submitted string to the field instead of turning anything into True."""

    def value_from_datadict(self, data, files, name):
        return data.get(name, False)


class CheckboxField(forms.BooleanField):
    """A tick box that accepts only what a browser sends for one: "on" or nothing."""

    widget = StrictCheckboxInput

    def to_python(self, value):
        if value in (False, None, ""):
            return False
        if value is True or (isinstance(value, str) and value.lower() in ("on", "true", "1")):
            return True
        raise ValidationError(_("This box can only be ticked or left empty."), code="invalid")


class SignerEmailField(forms.EmailField):
    def clean(self, value):
        value = super().clean(value)
        if value:
            try:
                email_canonical(value)
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return value


def _html_attrs(attrs: dict) -> str:
    # As Django's widgets/attrs.html: True is a bare attribute, False leaves it out.
    parts = [
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False
    ]
    return mark_safe("".join(parts))  # noqa: S308 (each part went through format_html)


class QuickSelect(forms.Select):
    """Django's Select, rendered without a template per option: through the option
    template, the 250 countries took 9 ms, most of an uncached campaign page's form. The
    HTML is the same (a test compares them)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [format_html('<select name="{}"{}>', widget["name"], _html_attrs(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                html.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        option["value"],
                        _html_attrs(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))  # noqa: S308 (every part went through format_html)


class KeyChoiceField(forms.ChoiceField):
    """A choice checked against the set of its keys: walking the 250 (translated, freshly
    normalized) country choices for every sign-on took longer than the rest of the form."""

    def __init__(self, *, keys, **kwargs):
        super().__init__(**kwargs)
        self.keys = frozenset(str(key) for key in keys)

    def valid_value(self, value):
        return str(value) in self.keys


# Choices as callables: a form copies its fields for every request, and copying 250
# translated country names took longer than the rest of a sign-on.
_STATE_CHOICES = [("", "—"), *US_STATES.items()]
_ORGANIZATION_TYPE_CHOICES = [("", "—"), *Signature.OrganizationType.choices]


def _alphabetical(name: str) -> str:
    # "Åland" among the As, "Égypte" among the Es: an accent does not send a name to the end.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@functools.cache
def _country_choices_in(language: str) -> list[tuple[str, str]]:
    """The United States first, then every country by its name in `language`."""
    others = sorted(
        ((code, str(name)) for code, name in COUNTRIES.items() if code != "US"),
        key=lambda choice: _alphabetical(choice[1]),
    )
    return [("US", str(COUNTRIES["US"])), *others]


def _country_choices():
    return _country_choices_in(translation.get_language())


def _state_choices():
    return _STATE_CHOICES


def _organization_type_choices():
    return _ORGANIZATION_TYPE_CHOICES


class SignOnForm(forms.Form):
    """The sign-on form on a campaign page. `campaign` decides whether individuals may sign."""

    kind = forms.ChoiceField(
        label=_("I am signing for"),
        choices=[
            (Signature.Kind.ORGANIZATION, _("An organization")),
            (Signature.Kind.INDIVIDUAL, _("Myself, as an individual")),
        ],
        initial=Signature.Kind.ORGANIZATION,
        widget=forms.RadioSelect,
    )
    organization_name = PlainTextField(
        label=_("Organization name"),
        max_length=200,
        required=False,
        help_text=_("Public: shown on the list and in the letter exactly as you type it."),
    )
    signer_name = PlainTextField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    signer_title = PlainTextField(
        label=_("Your title or role"),
        max_length=200,
        required=False,
        help_text=_("For example: Executive Director. Needed when you sign for an organization."),
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    email = SignerEmailField(
        label=_("Email"),
        max_length=254,
        error_messages={"required": _("Enter your email address.")},
        help_text=_("We will email you a link to confirm. Your email is never published."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    city = PlainTextField(
        label=_("City"),
        max_length=100,
        error_messages={"required": _("Enter your city or town.")},
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = KeyChoiceField(
        label=_("Country"),
        error_messages={"required": _("Choose your country.")},
        choices=_country_choices,
        keys=COUNTRIES,
        initial="US",
        widget=QuickSelect(attrs={"autocomplete": "country"}),
    )
    state = KeyChoiceField(
        label=_("State (in the United States)"),
        choices=_state_choices,
        keys=US_STATES,
        required=False,
        widget=QuickSelect,
    )
    region = PlainTextField(
        label=_("State, province or region (outside the United States)"),
        max_length=100,
        required=False,
    )
    website = forms.URLField(
        label=_("Organization website (optional)"),
        max_length=300,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"autocomplete": "url", "spellcheck": "false"}),
    )
    organization_type = KeyChoiceField(
        label=_("Type of organization (optional)"),
        choices=_organization_type_choices,
        keys=Signature.OrganizationType.values,
        required=False,
    )
    authorized = CheckboxField(
        label=_("I am authorized to sign on behalf of this organization."), required=False
    )
    listed_anonymously = CheckboxField(label=_("List me without my name."), required=False)
    public_descriptor = PlainTextField(
        label=_("How the list should describe you (optional)"),
        max_length=120,
        required=False,
        help_text=_(
            'For example: "An individual with lived experience". Only if listed without a name.'
        ),
    )
    consent_listed = CheckboxField(
        label=_("List this signature publicly, on this page and in the letter."),
        error_messages={"required": _("Signatures are public: tick this box to sign.")},
    )
    consent_updates = CheckboxField(
        label=_("Email me updates about this letter (optional)."), required=False
    )
    # Hidden: the letter version the signer read, and the partner link they came through.
    letter_version = forms.CharField(required=False, max_length=12, widget=forms.HiddenInput)
    via = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)
    # The honeypot: hidden from people by the stylesheet, filled in by naive bots.
    homepage = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        if not campaign.allows_individuals:
            for name in ("kind", "listed_anonymously", "public_descriptor"):
                del self.fields[name]

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("homepage"))

    def clean_letter_version(self):
        number = self.cleaned_data.get("letter_version") or ""
        if not number:
            return None
        if not number.isdigit() or len(number) > 6:
            raise ValidationError(
                _("This form is out of date: reload the page and sign again."), code="invalid"
            )
        return int(number)

    def clean_via(self):
        # A mistyped partner code must not stop anyone from signing: it is just not counted.
        via = self.cleaned_data.get("via") or ""
        return via if len(via) <= 40 and slug_re.fullmatch(via) else ""

    def clean(self):
        data = super().clean()
        for name in self.fields:
            # Checkboxes and choices ignore what they do not expect; NUL bytes are refused
            # everywhere, since they mean the request did not come from our form.
            getlist = getattr(self.data, "getlist", lambda key: [self.data.get(key)])
            if name not in self.errors and any("\x00" in str(v) for v in getlist(name)):
                self.add_error(name, _("Null characters are not allowed."))
        kind = data.get("kind") or Signature.Kind.ORGANIZATION
        data["kind"] = kind
        if kind == Signature.Kind.ORGANIZATION:
            if not data.get("organization_name") and "organization_name" not in self.errors:
                self.add_error("organization_name", _("Enter the organization's name."))
            if not data.get("signer_title") and "signer_title" not in self.errors:
                self.add_error("signer_title", _("Enter your title or role."))
            if not data.get("authorized") and "authorized" not in self.errors:
                self.add_error(
                    "authorized",
                    _("Only someone authorized to sign for the organization can sign it on."),
                )
        if data.get("country") == "US" and not data.get("state") and "state" not in self.errors:
            self.add_error("state", _("Choose your state."))
        return data

    def signer_data(self) -> SignerData:
        data = self.cleaned_data
        is_us = data["country"] == "US"
        return SignerData(
            kind=data["kind"],
            organization_name=data.get("organization_name", ""),
            signer_name=data["signer_name"],
            signer_title=data.get("signer_title", ""),
            email=data["email"],
            city=data["city"],
            state=data["state"] if is_us else data.get("region", ""),
            country=data["country"],
            website=data.get("website", ""),
            organization_type=data.get("organization_type", ""),
            listed_anonymously=data.get("listed_anonymously", False),
            public_descriptor=data.get("public_descriptor", ""),
            consent_listed=data["consent_listed"],
            consent_updates=data.get("consent_updates", False),
            authorized=data.get("authorized", False),
        )


class ConfirmByCodeForm(forms.Form):
    email = SignerEmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("The address you signed with."),
        error_messages={"required": _("Enter the address you signed with.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        error_messages={"required": _("Enter the code from the email.")},
        help_text=_("The 8-character code in the email, for example ABCD-2345."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )


class ResendForm(forms.Form):
    email = SignerEmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("The address you signed with."),
        error_messages={"required": _("Enter the address you signed with.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
