"""Every string a signer can see has a Spanish translation.

"Signer-facing" is decided here, in one place:
- every template except the lead area's, the accounts' (allauth) and the PDF's (the letter
  goes to legislators in its own language), i.e. the public pages, sign-on, confirm,
  withdraw, re-confirm, the signer emails and the error pages, and any page added later;
- the sign-on code (signatories/*.py but the moderation tools) and the re-confirmation
  messages shown to signers (campaigns/reconfirmation.py);
- the model choices shown on public pages (campaign status, kinds of letter change).

The test extracts their messages the way `make messages` does (makemessages into a
temporary folder) and checks each against the committed catalogue, compiled afresh.
"""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from campaigns.models import Campaign, LetterVersion
from signatories.models import Signature

ROOT = Path(settings.BASE_DIR)
PO_FILE = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
NOT_FOR_SIGNERS = (
    "templates/lead/",
    "templates/allauth/",
    "templates/account/",
    "templates/mfa/",
    "templates/admin/",
    "templates/pdf/",
    "templates/emails/lead_",
    "templates/emails/example/",
    # The letter's email to legislators' offices: in the letter's language, like the PDF.
    "templates/emails/letter_delivery/",
)
SIGNER_CODE = ["signatories/*.py", "campaigns/reconfirmation.py"]
LEAD_CODE = {"signatories/moderation.py", "signatories/admin.py"}
SIGNER_CHOICES = [Campaign.Status, LetterVersion.Change, Signature.OrganizationType]


def signer_facing_files() -> list[str]:
    templates = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "templates").rglob("*")
        if path.suffix in (".html", ".txt")
    ]
    code = [
        path.relative_to(ROOT).as_posix() for pattern in SIGNER_CODE for path in ROOT.glob(pattern)
    ]
    return sorted(
        name
        for name in templates + code
        if not name.startswith(NOT_FOR_SIGNERS) and name not in LEAD_CODE
    )


def _messages_in(po_text: str) -> set[tuple[str, str, str]]:
    """(context, msgid, msgid_plural) of each entry of a .po file, header excluded."""
    found = set()
    for block in po_text.split("\n\n"):
        fields = {}
        for keyword, value in re.findall(
            r'^(msgctxt|msgid_plural|msgid) ((?:".*"\n?)+)', block, re.M
        ):
            fields[keyword] = "".join(re.findall(r'"(.*)"', value))
        if fields.get("msgid"):
            found.add((fields.get("msgctxt", ""), fields["msgid"], fields.get("msgid_plural", "")))
    return found


def _unescape(text: str) -> str:
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> gettext.GNUTranslations:
    """The committed Spanish catalogue, compiled now (so a stale .mo cannot hide a gap)."""
    mo = tmp_path_factory.mktemp("mo") / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(PO_FILE)], check=True)
    with mo.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def _is_translated(catalogue, context: str, msgid: str, plural: str) -> bool:
    key = f"{context}\x04{msgid}" if context else msgid
    if plural:
        return all(catalogue._catalog.get((key, n)) for n in range(3))
    return bool(catalogue._catalog.get(key))


def test_signer_facing_strings_have_spanish_translations(
    catalogue, tmp_path, monkeypatch, settings
):
    for name in signer_facing_files():
        copy = tmp_path / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, copy)
    (tmp_path / "locale").mkdir()
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["es"], verbosity=0)
    extracted = _messages_in((tmp_path / "locale/es/LC_MESSAGES/django.po").read_text("utf-8"))

    assert len(extracted) > 400  # the countries alone are 249: the extraction worked
    missing = sorted(
        _unescape(msgid)
        for context, msgid, plural in extracted
        if not _is_translated(catalogue, _unescape(context), _unescape(msgid), _unescape(plural))
    )
    assert not missing, (
        "Signer-facing strings without a Spanish translation (run `make messages`, then "
        f"translate them in {PO_FILE.relative_to(ROOT)}):\n" + "\n".join(missing)
    )


def test_public_model_choices_are_translated():
    untranslated = []
    for choices in SIGNER_CHOICES:
        for label in choices.labels:
            with translation.override("es"):
                spanish = str(label)
            with translation.override("en"):
                english = str(label)
            if spanish == english:
                untranslated.append(english)
    assert not untranslated


def test_the_list_of_signer_facing_files_has_the_pages_and_emails():
    files = signer_facing_files()
    for expected in [
        "templates/base.html",
        "templates/campaigns/detail.html",
        "templates/signatories/_signon_fields.html",
        "templates/signatories/confirm.html",
        "templates/signatories/withdraw.html",
        "templates/emails/signature_confirm/body.html",
        "templates/emails/reconfirm_request/subject.txt",
        "signatories/forms.py",
        "signatories/countries.py",
    ]:
        assert expected in files
    assert not [name for name in files if name.startswith("templates/lead/")]
    assert "signatories/moderation.py" not in files
