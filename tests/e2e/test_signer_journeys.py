"""Signers' journeys in a real browser: sign on a phone, read the email, confirm, be listed.

The same journey runs with and without JavaScript (the site has none, and must not need
any); another runs with the keyboard only; another in Spanish.
"""

import re

import pytest

from signatories.models import Signature
from tests.factories import make_campaign, make_signature

from .browser import DESKTOP, PHONE, last_email_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ORGANIZATION = "Harbor Light Collective"
EMAIL = "ana@harborlight.example"


def _campaign(**fields):
    fields.setdefault("allows_individuals", True)
    campaign = make_campaign(title="Safe homes for every survivor", **fields)
    make_signature(campaign=campaign, organization_name="Puget Sound Mutual Aid", state="WA")
    make_signature(campaign=campaign, organization_name="Rose City Outreach", state="OR")
    return campaign


def _active_id(page) -> str:
    return page.evaluate("document.activeElement.id")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_phone_signer_signs_reads_the_email_confirms_and_is_listed(journey, javascript):
    campaign = _campaign()

    with journey(viewport=PHONE, javascript=javascript) as j:
        page = j.page
        j.goto(campaign.get_absolute_url())
        j.step("campaign-page")

        page.get_by_role("link", name="Sign this letter").click()
        page.get_by_label("Organization name").fill(ORGANIZATION)
        page.get_by_label("Type of organization (optional)").select_option("grassroots")
        page.get_by_label("I am authorized to sign on behalf of this organization.").check()
        page.get_by_label("Your name").fill("Ana Ruiz")
        page.get_by_label("Your title or role").fill("Director")
        page.get_by_label("Email", exact=True).fill("ana@harborlight")
        page.get_by_label("City").fill("Tacoma")
        page.get_by_label("State (in the United States)").select_option("WA")
        j.step("form-filled-with-mistakes")
        page.get_by_role("button", name="Sign the letter").click()

        # The answer to a bad form: its summary has the focus, even without JavaScript (the
        # form posts to #sign, and on this page #sign is the summary itself).
        page.wait_for_url("**/sign/#sign")
        assert _active_id(page) == "sign"
        summary = page.get_by_role("alert")
        assert "There are problems with 2 answers" in summary.inner_text()
        j.step("form-errors")
        summary.get_by_role("link", name="Enter a valid email address.").click()
        assert _active_id(page) == "id_email"
        page.get_by_label("Email", exact=True).fill(EMAIL)
        page.get_by_label("List this signature publicly, on this page and in the letter.").check()
        page.get_by_role("button", name="Sign the letter").click()

        page.wait_for_url("**/signed/**")
        assert page.get_by_role("heading", level=1).inner_text() == "Check your email"
        j.step("check-your-email")

        message = last_email_to(EMAIL)
        assert message.subject == "Confirm your signature on “Safe homes for every survivor”"
        j.show_email(message, "email")
        page.get_by_role("link", name="Confirm my signature").click()
        page.wait_for_url("**/s/confirm/**")
        j.step("confirm-page")

        page.get_by_role("button", name="Confirm my signature").click()
        page.wait_for_load_state()
        assert "your signature is confirmed" in page.get_by_role("heading", level=1).inner_text()
        j.step("confirmed")

        page.get_by_role("link", name="See who has signed").click()
        page.wait_for_url(f"**{campaign.get_absolute_url()}#signers")
        assert "2 organizations and individuals" not in page.content()
        assert "3 organizations and individuals have signed this letter." in page.content()
        washington = page.locator("details", has_text="Washington")
        washington.locator("summary").click()
        assert washington.get_by_text(ORGANIZATION).is_visible()
        j.step("listed")

    signature = Signature.objects.get(email_canonical=EMAIL)
    assert signature.status == Signature.Status.VERIFIED
    assert signature.organization_type == "grassroots"


def test_a_keyboard_only_signer_signs_with_tab_enter_and_space(journey):
    campaign = _campaign()

    with journey(viewport=DESKTOP) as j:
        page, keyboard = j.page, j.page.keyboard
        j.goto(campaign.get_absolute_url())

        # The first Tab shows the skip link; Enter moves the focus to the main content.
        keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to main content")
        assert skip.evaluate("el => el === document.activeElement")
        j.assert_focus_visible()
        box = skip.bounding_box()
        assert box is not None and box["y"] >= 0, "the focused skip link is off screen"
        j.step("skip-link")
        keyboard.press("Enter")
        assert _active_id(page) == "main"

        j.tab_to(page.get_by_role("link", name="Sign this letter"))
        keyboard.press("Enter")
        page.wait_for_url("**#sign")
        j.tab_to(page.get_by_role("button", name="Sign the letter"))
        j.step("submit-focused")
        keyboard.press("Enter")

        page.wait_for_url("**/sign/#sign")
        assert _active_id(page) == "sign"
        j.step("errors")
        j.tab_to(page.get_by_role("link", name="Enter the organization's name."))
        keyboard.press("Enter")
        assert _active_id(page) == "id_organization_name"
        keyboard.type(ORGANIZATION)
        authorized = page.get_by_label("I am authorized to sign on behalf of this organization.")
        j.tab_to(authorized)
        keyboard.press("Space")
        assert authorized.is_checked()
        for label, text in [
            ("Your name", "Ana Ruiz"),
            ("Your title or role", "Director"),
            ("Email", EMAIL),
            ("City", "Tacoma"),
        ]:
            j.tab_to(page.get_by_label(label, exact=True))
            keyboard.type(text)
        state = page.get_by_label("State (in the United States)")
        j.tab_to(state)
        keyboard.type("Washington")
        assert state.input_value() == "WA"
        consent = page.get_by_label("List this signature publicly, on this page and in the letter.")
        j.tab_to(consent)
        keyboard.press("Space")
        assert consent.is_checked()
        j.step("form-filled")
        j.tab_to(page.get_by_role("button", name="Sign the letter"))
        keyboard.press("Enter")
        page.wait_for_url("**/signed/**")
        j.step("check-your-email")

        # The link from the email, typed into the address bar.
        confirm_path = re.search(r"/s/confirm/[\w-]+/", last_email_to(EMAIL).body).group(0)
        j.goto(confirm_path)
        j.tab_to(page.get_by_role("button", name="Confirm my signature"))
        j.step("confirm-focused")
        with page.expect_navigation():
            keyboard.press("Space")
        assert "your signature is confirmed" in page.get_by_role("heading", level=1).inner_text()
        j.tab_to(page.get_by_role("link", name="See who has signed"))
        keyboard.press("Enter")
        page.wait_for_url("**#signers")
        washington = page.locator("details", has_text="Washington")
        j.tab_to(washington.locator("summary"))
        keyboard.press("Enter")
        assert washington.get_by_text(ORGANIZATION).is_visible()
        j.step("listed")

    assert Signature.objects.get(email_canonical=EMAIL).status == Signature.Status.VERIFIED


def test_a_spanish_speaking_signer_does_it_all_in_spanish_without_javascript(journey):
    campaign = _campaign()

    with journey(viewport=PHONE, javascript=False, locale="es-US") as j:
        page = j.page
        # A link shared without a language: the browser's Accept-Language picks Spanish.
        j.goto(campaign.get_absolute_url())
        assert page.url.endswith(f"/es{campaign.get_absolute_url()}")
        assert page.locator("html").get_attribute("lang") == "es"
        j.step("campaign-page")

        page.get_by_role("link", name="Firme esta carta").click()
        page.get_by_label("Nombre de la organización").fill(ORGANIZATION)
        page.get_by_label("Tengo autorización para firmar en nombre de esta organización.").check()
        page.get_by_label("Su nombre").fill("Ana Ruiz")
        page.get_by_label("Su cargo o función").fill("Directora")
        page.get_by_label("Correo electrónico", exact=True).fill("ana@harborlight")
        page.get_by_label("Ciudad").fill("Tacoma")
        page.get_by_label("Estado (en los Estados Unidos)").select_option("WA")
        page.get_by_role("button", name="Firmar la carta").click()

        page.wait_for_url("**/es/c/**/sign/#sign")
        assert _active_id(page) == "sign"
        summary = page.get_by_role("alert").inner_text()
        assert "Hay problemas con 2 respuestas" in summary
        assert "Introduzca una dirección de correo electrónico válida." in summary
        j.step("form-errors")
        page.get_by_label("Correo electrónico", exact=True).fill(EMAIL)
        page.get_by_label("Publicar esta firma en esta página y en la carta.").check()
        page.get_by_role("button", name="Firmar la carta").click()

        page.wait_for_url("**/es/c/**/signed/**")
        assert page.get_by_role("heading", level=1).inner_text() == "Revise su correo"
        j.step("check-your-email")

        message = last_email_to(EMAIL)
        assert message.subject == "Confirme su firma en «Safe homes for every survivor»"
        j.show_email(message, "email")
        page.get_by_role("link", name="Confirmar mi firma").click()
        page.wait_for_url("**/es/s/confirm/**")
        j.step("confirm-page")
        page.get_by_role("button", name="Confirmar mi firma").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == (
            "Gracias: su firma está confirmada"
        )
        j.step("confirmed")

        page.get_by_role("link", name="Ver quién ha firmado").click()
        washington = page.locator("details", has_text="Washington")
        washington.locator("summary").click()
        assert washington.get_by_text(ORGANIZATION).is_visible()
        j.step("listed")

        # The switcher is a plain link: it works without JavaScript, and the choice sticks.
        page.get_by_role("link", name="English").click()
        page.wait_for_url(f"**{campaign.get_absolute_url()}")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("link", name="Sign this letter").count() == 1
        j.step("switched-to-english")
        j.goto(campaign.get_absolute_url())
        assert page.locator("html").get_attribute("lang") == "en"
        page.get_by_role("link", name="Español").click()
        assert page.locator("html").get_attribute("lang") == "es"

    signature = Signature.objects.get(email_canonical=EMAIL)
    assert signature.status == Signature.Status.VERIFIED
    assert signature.language == "es"
