"""The signer pages the journeys do not pass through (versions, links in every state, the
code and new-email forms, privacy and data requests), in Spanish on a phone: each checked
with axe-core and kept as a screenshot (the journeys cover the rest in both languages)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, LetterVersion
from campaigns.services import letter_edit
from signatories import verification
from signatories.models import Signature
from tests.factories import make_campaign, make_signature, make_user

from .browser import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

Purpose = verification.Purpose


def _token(signature, purpose, *, lifetime=timedelta(days=7), **fields) -> str:
    return verification.token_issue(
        signature=signature, purpose=purpose, lifetime=lifetime, **fields
    ).token


def test_the_other_signer_pages_in_spanish(journey, settings):
    settings.SIGNER_LIST_PAGE_SIZE = 3
    lead = make_user(password=None)
    campaign = make_campaign(
        slug="safe-homes", title="Safe homes for every survivor", owner=lead, goal=100
    )
    for name, state in [("Puget Sound Mutual Aid", "WA"), ("Rose City Outreach", "OR")]:
        make_signature(campaign=campaign, organization_name=name, state=state)
    make_signature(
        campaign=campaign, organization_name="Toronto Harm Reduction", state="Ontario", country="CA"
    )
    signer = make_signature(
        campaign=campaign, organization_name="Harbor Light Collective", language="es"
    )
    version = letter_edit(
        campaign=campaign,
        actor=lead,
        title=campaign.title,
        body="To the legislature:\n\nWe ask you to act now.\n",
        change=LetterVersion.Change.SUBSTANTIVE,
        note="A stronger ask",
        reconfirm_deadline=timezone.now() + timedelta(days=10),
    )
    reconfirm = _token(signer, Purpose.RECONFIRM, letter_version=version)
    withdraw = _token(signer, Purpose.WITHDRAW)
    pending = make_signature(campaign=campaign, status=Signature.Status.PENDING, language="es")
    expired = _token(pending, Purpose.CONFIRM, lifetime=timedelta(seconds=-1))
    closed = make_campaign(slug="closed", title="An earlier letter", status=Campaign.Status.CLOSED)
    asker = make_signature(campaign=campaign, organization_name="Tacoma Tenants", language="es")
    copy = _token(asker, Purpose.DATA_REQUEST)
    erase = _token(asker, Purpose.ERASURE)

    with journey(viewport=PHONE, locale="es-US") as j:
        page = j.page
        j.goto("/")
        j.step("home")
        j.goto(f"/es/c/{campaign.slug}/signers/?page=2")
        j.step("signers-page-2")
        j.goto(f"/es/c/{campaign.slug}/versions/")
        j.step("versions")
        page.get_by_role("link", name="Versión 2").click()
        j.step("version-2")

        j.goto(f"/es/s/reconfirm/{reconfirm}/")
        j.step("reconfirm")
        page.get_by_role("button", name="Sigo firmando la carta revisada").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "Gracias: su firma se mantiene"
        j.step("reconfirmed")
        j.goto(f"/es/s/reconfirm/{reconfirm}/")
        assert page.get_by_role("heading", level=1).inner_text() == "Este enlace ya se usó"
        j.step("link-used")

        j.goto(f"/es/s/withdraw/{withdraw}/")
        j.step("withdraw")
        page.get_by_role("button", name="Retirar mi firma").click()
        page.wait_for_load_state()
        j.step("withdrawn")

        j.goto(f"/es/s/confirm/{expired}/")
        j.step("link-expired")
        j.goto("/es/s/confirm/" + "x" * 43 + "/")
        j.step("link-unknown")
        page.get_by_role("link", name="confirme con el código").click()
        page.get_by_role("button", name="Confirmar mi firma").click()
        page.wait_for_load_state()
        j.step("code-mistakes")
        page.get_by_label("Correo electrónico").fill("ana@harborlight.example")
        page.get_by_label("Código").fill("ABCD-EFGH")
        page.get_by_role("button", name="Confirmar mi firma").click()
        page.wait_for_load_state()
        j.step("code-rejected")
        page.get_by_role("link", name="Envíenme un correo nuevo").click()
        j.step("new-email")
        page.get_by_label("Correo electrónico").fill("ana@harborlight.example")
        page.get_by_role("button", name="Envíenme un correo nuevo").click()
        page.wait_for_load_state()
        j.step("new-email-sent")

        j.goto(f"/es/c/{closed.slug}/")
        j.step("closed-campaign")

        page.get_by_role("link", name="Privacidad: qué guardamos y por cuánto tiempo").click()
        j.step("privacy")
        page.get_by_role("link", name="Pedir sus datos o que se borren").click()
        j.step("your-data")
        page.get_by_label("Correo electrónico").fill("ana@harborlight.example")
        page.get_by_role("button", name="Envíenme los enlaces").click()
        page.wait_for_load_state()
        j.step("your-data-sent")
        j.goto(f"/es/privacy/my-data/copy/{copy}/")
        j.step("data-copy")
        j.goto(f"/es/privacy/my-data/erase/{erase}/")
        j.step("erase")
        page.get_by_role("button", name="Borrar mis datos de contacto").click()
        page.wait_for_load_state()
        assert (
            page.get_by_role("heading", level=1).inner_text() == "Sus datos de contacto se borraron"
        )
        j.step("erased")
