import logging
from datetime import date

import pytest

from campaigns import pdf
from campaigns.models import Campaign
from campaigns.pdf import Recipient, pdf_build, pdf_build_batch
from campaigns.services import letter_version_create
from signatories.models import Signature
from tests.factories import make_campaign, make_signature

from .pdf_helpers import first_elements_pages, page_texts, reader, structure_problems, text

LETTER = """\
To the legislature:

We ask you to fund **safe housing** for survivors this session.

## FUND BEDS WHERE PEOPLE ARE

- Most counties have no shelter bed set aside.
- People who must travel far often return to danger.

Respectfully,

The undersigned
"""

NAMES = [
    ("Asociación de Trabajadoras del Hogar de Nuevo México", "NM"),
    ("Fédération des Survivantes de la Louisiane", "LA"),
    ("Zoë Müller Foundation for Safe Housing", "MN"),
    ("Ñuu Savi Women's Collective", "CA"),
    ("جمعية الأمل لدعم الناجيات", "MI"),
    ("华人妇女互助会", "NY"),
    ("한인 여성 쉼터 네트워크", "CA"),
    ("日系コミュニティ支援センター", "WA"),
    (
        "The Greater Northwestern Interfaith Partnership for Housing, Health, Dignity and "
        "Economic Justice for Survivors of Exploitation and Their Families",
        "OR",
    ),
]

JANE = Recipient(
    key="ocd-person/jane",
    name="Jane Doe",
    honorific="The Honorable",
    title="State Senator, District 43",
    chamber="Washington State Senate",
    jurisdiction="Washington",
    address_lines=("PO Box 40443", "Olympia, WA 98504-0443"),
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _campaign(**fields):
    fields.setdefault("postal_address", "Common Ground Coalition, 100 Example St, Seattle WA")
    fields.setdefault("reply_to_email", "coalition@example.org")
    return make_campaign(title="Fund Survivor Housing", body=LETTER, **fields)


def _sign_all(campaign):
    for name, state in NAMES:
        make_signature(
            campaign=campaign,
            organization_name=name,
            state=state,
            email=f"private-{state.lower()}-{len(name)}@signers.test",
            signer_name="Private Person",
            signer_title="Executive Director",
        )


@pytest.mark.django_db
def test_pdf_reads_back_the_letter_and_every_signer_and_no_contact_data(caplog):
    campaign = _campaign()
    _sign_all(campaign)
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        built = pdf_build(campaign=campaign)
    content = text(built)
    assert "Fund Survivor Housing" in content
    assert "We ask you to fund safe housing for survivors this session." in content
    assert "FUND BEDS WHERE PEOPLE ARE" in content
    assert "People who must travel far often return to danger." in content
    for name, _state in NAMES:
        assert name in content
    assert "@signers.test" not in content
    assert "Private Person" not in content
    assert "Executive Director" not in content
    # No glyph was missing from the shipped fonts, and nothing failed to load. (Without
    # Debian's libharfbuzz-subset0 WeasyPrint subsets fonts with fontTools and says so.)
    problems = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and "HarfBuzz-Subset" not in r.getMessage()
    ]
    assert not problems, caplog.text


@pytest.mark.django_db
def test_signers_are_grouped_by_state_in_print_order():
    campaign = _campaign()
    _sign_all(campaign)
    make_signature(campaign=campaign, organization_name="Aaa Lead Group", is_lead_organization=True)
    make_signature(campaign=campaign, organization_name="Anchorage Aid", state="AK")
    make_signature(campaign=campaign, organization_name="Birmingham Aid", state="AL")
    make_signature(
        campaign=campaign,
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        signer_name="Maria Example",
        state="AK",
    )
    content = text(pdf_build(campaign=campaign))
    order = [
        "LEAD ORGANIZATIONS",
        "Aaa Lead Group",
        "ORGANIZATIONS",
        "ALABAMA",  # by the state's name, not its code (AK comes before AL)
        "Birmingham Aid",
        "ALASKA",
        "Anchorage Aid",
        "CALIFORNIA",
        "Ñuu Savi Women's Collective",
        "한인 여성 쉼터 네트워크",
        "LOUISIANA",
        "Fédération des Survivantes de la Louisiane",
        "MICHIGAN",
        "جمعية الأمل لدعم الناجيات",
        "NEW YORK",
        "华人妇女互助会",
        "WASHINGTON",
        "日系コミュニティ支援センター",
        "INDIVIDUALS",
        "ALASKA",
        "Maria Example",
    ]
    position = 0
    for piece in order:
        found = content.find(piece, position)
        assert found >= 0, f"{piece!r} is missing or out of order"
        position = found + len(piece)


@pytest.mark.django_db
def test_alphabetical_lists_have_no_state_headings_and_show_each_place():
    campaign = _campaign(signer_order=Campaign.SignerOrder.ALPHABETICAL)
    make_signature(campaign=campaign, organization_name="Zeta House", city="Austin", state="TX")
    make_signature(campaign=campaign, organization_name="alpha Aid", city="Boise", state="ID")
    make_signature(campaign=campaign, organization_name="Émile Fund", city="Reno", state="NV")
    content = text(pdf_build(campaign=campaign))
    assert content.index("alpha Aid, Boise, ID") < content.index("Émile Fund, Reno, NV")
    assert content.index("Émile Fund") < content.index("Zeta House, Austin, TX")
    assert "TEXAS" not in content


@pytest.mark.django_db
def test_every_page_has_the_footer_and_page_x_of_y():
    campaign = _campaign()
    _sign_all(campaign)
    for n in range(150):
        make_signature(campaign=campaign, organization_name=f"Supporting Group {n}")
    version = campaign.versions.get()
    built = pdf_build(campaign=campaign, date=date(2026, 3, 2))
    pages = page_texts(built)
    assert built.page_count == len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Common Ground Coalition, 100 Example St, Seattle WA" in page
        assert f"Letter version 1 · fingerprint {version.short_hash}" in page
    assert "March 2, 2026" in pages[0]


@pytest.mark.django_db
def test_pdf_declares_pdf_ua_a_language_a_title_and_has_a_structure_tree():
    campaign = _campaign()
    _sign_all(campaign)
    pdf_file = reader(pdf_build(campaign=campaign))
    catalog = pdf_file.trailer["/Root"]
    assert catalog["/Lang"] == "en"
    assert catalog["/MarkInfo"]["/Marked"]
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"]
    assert pdf_file.metadata.title == "Fund Survivor Housing"
    xmp = catalog["/Metadata"].get_object().get_data()
    assert b"pdfuaid:part" in xmp
    assert b"<pdfuaid:part>1</pdfuaid:part>" in xmp or b'pdfuaid:part="1"' in xmp
    assert structure_problems(pdf_file) == []
    kinds = {
        str(kid.get_object()["/S"])
        for kid in catalog["/StructTreeRoot"]["/K"][0].get_object()["/K"]
    }
    assert {"/Art", "/Sect"} <= kinds


@pytest.mark.django_db
def test_a_recipients_copy_starts_with_their_cover_and_the_shared_pages_follow():
    campaign = _campaign()
    _sign_all(campaign)
    letter = pdf_build(campaign=campaign)
    copy = pdf_build(campaign=campaign, recipient=JANE)
    letter_pages, copy_pages = page_texts(letter), page_texts(copy)
    assert copy.page_count == len(copy_pages) == len(letter_pages) + 1
    cover = copy_pages[0]
    for line in ("The Honorable Jane Doe", "State Senator, District 43", "Olympia, WA 98504-0443"):
        assert line in cover
    assert "Washington State Senate" in cover
    assert "Dear Jane Doe:" in cover
    short_hash = campaign.versions.get().short_hash
    assert f"the letter (version 1, fingerprint {short_hash}) with its 9 signatories" in cover
    assert "Common Ground Coalition, 100 Example St, Seattle WA · coalition@example.org" in cover
    assert f"Page 1 of {copy.page_count}" in cover
    for number, (shared, copied) in enumerate(zip(letter_pages, copy_pages[1:], strict=True)):
        old = f"Page {number + 1} of {len(letter_pages)}"
        new = f"Page {number + 2} of {copy.page_count}"
        assert copied.replace(new, "") == shared.replace(old, "")
    copy_file = reader(copy)
    assert structure_problems(copy_file) == []
    # Screen readers meet the cover first, then the letter.
    assert first_elements_pages(copy_file, 2) == [0, 1]


@pytest.mark.django_db
def test_a_batch_lays_the_shared_letter_out_once_and_its_covers_together(monkeypatch):
    campaign = _campaign()
    _sign_all(campaign)
    shared_renders, cover_renders = [], []
    render_shared, render_covers = pdf._render_shared, pdf._render_covers
    monkeypatch.setattr(
        pdf, "_render_shared", lambda *a, **k: shared_renders.append(1) or render_shared(*a, **k)
    )
    monkeypatch.setattr(
        pdf, "_render_covers", lambda *a, **k: cover_renders.append(1) or render_covers(*a, **k)
    )
    recipients = [
        Recipient(key=f"r{n}", name=f"Legislator {n}", chamber="Oregon State Senate")
        for n in range(3)
    ]
    copies = dict(pdf_build_batch(campaign=campaign, recipients=recipients))
    assert len(shared_renders) == 1
    assert len(cover_renders) == 1
    assert len({built.sha256 for built in copies.values()}) == 3
    for recipient, built in copies.items():
        pages = page_texts(built)
        assert recipient.name in pages[0] and f"Page 1 of {built.page_count}" in pages[0]
        assert all(other.name not in pages[0] for other in recipients if other != recipient)
        assert structure_problems(reader(built)) == []


@pytest.mark.django_db
def test_a_long_cover_pushes_the_letter_back_and_numbers_stay_right():
    campaign = _campaign()
    _sign_all(campaign)
    wordy = Recipient(
        key="wordy", name="Jane Doe", address_lines=tuple(f"Line {n}" for n in range(70))
    )
    built = pdf_build(campaign=campaign, recipient=wordy)
    pages = page_texts(built)
    assert "Line 69" in pages[1] and "Line 0" in pages[0]
    assert "Fund Survivor Housing" in pages[2]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert structure_problems(reader(built)) == []


@pytest.mark.django_db
def test_a_long_cover_among_others_is_laid_out_alone_and_every_copy_is_numbered_right():
    campaign = _campaign()
    _sign_all(campaign)
    wordy = Recipient(key="wordy", name="Wordy Doe", address_lines=("Line",) * 70)
    recipients = [JANE, wordy, Recipient(key="john", name="John Roe")]
    copies = dict(pdf_build_batch(campaign=campaign, recipients=recipients))
    letter_pages = pdf_build(campaign=campaign).page_count
    for recipient, built in copies.items():
        cover_pages = 2 if recipient == wordy else 1
        assert built.page_count == letter_pages + cover_pages
        pages = page_texts(built)
        assert recipient.name in pages[0] and "Fund Survivor Housing" in pages[cover_pages]
        for number, page in enumerate(pages, start=1):
            assert f"Page {number} of {built.page_count}" in page


@pytest.mark.django_db
def test_a_copy_that_cannot_be_built_fails_in_its_turn_after_the_ones_before(monkeypatch):
    """Delivery records each copy as it comes and blames a failure on the next one."""
    campaign = _campaign()
    _sign_all(campaign)
    render = pdf._render

    def failing_render(html):
        if "Broken Office" in html:
            raise RuntimeError("cannot lay this cover out")
        return render(html)

    monkeypatch.setattr(pdf, "_render", failing_render)
    broken = Recipient(key="broken", name="Broken Office")
    builds = pdf_build_batch(campaign=campaign, recipients=[JANE, broken, JANE])
    recipient, built = next(builds)
    assert recipient == JANE and "Jane Doe" in page_texts(built)[0]
    with pytest.raises(RuntimeError, match="cannot lay this cover out"):
        next(builds)


@pytest.mark.django_db
def test_unchanged_inputs_reuse_the_cache_and_any_change_rebuilds(monkeypatch):
    campaign = _campaign()
    signature = make_signature(campaign=campaign, organization_name="First Org")
    first = pdf_build(campaign=campaign)
    again = pdf_build(campaign=campaign)
    assert again.from_cache and not first.from_cache
    assert (again.path, again.sha256) == (first.path, first.sha256)

    signature.display_name = "First Organization"
    signature.save()
    renamed = pdf_build(campaign=campaign)
    assert not renamed.from_cache and renamed.inputs_hash != first.inputs_hash
    assert "First Organization" in text(renamed)

    make_signature(campaign=campaign, organization_name="Second Org")
    assert not pdf_build(campaign=campaign).from_cache

    Signature.objects.filter(organization_name="Second Org").update(status="withdrawn")
    assert pdf_build(campaign=campaign).inputs_hash == renamed.inputs_hash

    letter_version_create(campaign=campaign, title="Fund Survivor Housing", body="New words.")
    assert not pdf_build(campaign=campaign).from_cache

    copy = pdf_build(campaign=campaign, recipient=JANE)
    assert pdf_build(campaign=campaign, recipient=JANE).from_cache
    other = pdf_build(campaign=campaign, recipient=Recipient(key="x", name="John Roe"))
    assert not other.from_cache and other.inputs_hash != copy.inputs_hash

    monkeypatch.setattr(pdf, "TEMPLATE_VERSION", "next")
    assert not pdf_build(campaign=campaign).from_cache


@pytest.mark.django_db
def test_markup_in_names_and_letters_is_text_and_nothing_outside_static_is_fetched(
    monkeypatch,
):
    campaign = _campaign(postal_address='<img src="http://tracker.example/a.png">')
    letter_version_create(
        campaign=campaign,
        title="Fund Survivor Housing",
        body=(
            'Hello ![secret](file:///etc/passwd) and <img src="http://tracker.example/b">\n\n'
            '<link rel="stylesheet" href="http://tracker.example/c.css">'
            "[a link](http://tracker.example/d)"
        ),
    )
    make_signature(campaign=campaign, organization_name='<img src="file:///etc/passwd">')
    make_signature(
        campaign=campaign,
        organization_name='<link rel="attachment" href="file:///etc/hostname">',
    )
    fetched = []
    fetcher = pdf._fetcher_class()
    original = fetcher.fetch
    monkeypatch.setattr(
        fetcher, "fetch", lambda self, url, *a: fetched.append(url) or original(self, url, *a)
    )
    # Start from a fresh font setup, so that the fonts are fetched again through the spy.
    pdf._stylesheet.cache_clear()
    pdf._font_config.cache_clear()
    try:
        content = text(pdf_build(campaign=campaign))
    finally:
        pdf._stylesheet.cache_clear()
        pdf._font_config.cache_clear()
    assert '<img src="file:///etc/passwd">' in content
    assert '<link rel="attachment" href="file:///etc/hostname">' in content
    assert '<img src="http://tracker.example/a.png">' in content
    assert "root:" not in content
    assert fetched, "the fonts come through the fetcher"
    static = pdf.static_roots()[0].as_uri()
    assert all(url.startswith(static) for url in fetched), fetched


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/font.ttf",
        "https://example.org/style.css",
        "data:text/css,body{}",
        "ftp://example.org/x",
        "file://evil.example/static/fonts/NotoSans-Regular.ttf",
    ],
)
def test_the_fetcher_refuses_anything_but_project_static_files(url):
    with pytest.raises(pdf.FetchRefused):
        pdf.url_fetcher().fetch(url)


def test_the_fetcher_refuses_paths_that_climb_out_of_static():
    static = pdf.static_roots()[0]
    climbing = static.as_uri() + "/../config/settings.py"
    assert (static.parent / "config" / "settings.py").exists()
    with pytest.raises(pdf.FetchRefused):
        pdf.url_fetcher().fetch(climbing)
    font = (static / "fonts" / "NotoSans-Regular.ttf").as_uri()
    assert pdf.url_fetcher().fetch(font).read(4) == b"\x00\x01\x00\x00"


@pytest.mark.django_db
def test_a_campaign_without_signers_still_builds():
    campaign = _campaign()
    content = text(pdf_build(campaign=campaign))
    assert "No one has signed this letter yet." in content


@pytest.mark.django_db
def test_long_names_are_never_hyphenated():
    campaign = _campaign()
    long_name = (
        "Internationalization Antidisestablishmentarianism Counterrevolutionaries "
        "Collaborative of Massachusetts"
    )
    make_signature(campaign=campaign, organization_name=long_name, state="MA")
    content = text(pdf_build(campaign=campaign))
    assert long_name in content


def test_page_references_stay_right_after_the_speed_up():
    import pydyf

    pdf._patch_page_references()
    document = pydyf.PDF()
    for _ in range(3):
        document.add_page(pydyf.Dictionary({"Type": "/Page"}))
        expected = tuple(f"{n} 0 R".encode() for n in document.pages["Kids"][::3])
        assert document.page_references == expected
