import pytest
from django.urls import reverse

from campaigns.markdown import render_markdown
from tests.factories import make_campaign
from tests.html import active_content, parse

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://example.com></iframe>",
    '<p onclick="alert(1)">hi</p>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_markdown_never_outputs_active_content(source):
    assert active_content(render_markdown(source)) == []


def test_markdown_active_content_check_detects_real_markup():
    # Guards the test above: the checker itself must see a live handler and a live link.
    assert active_content('<p onclick="x">hi</p><a href="javascript:x">y</a>') == [
        "p[onclick]",
        "a[href=javascript:x]",
    ]


def test_markdown_keeps_letter_structure():
    html = render_markdown("## HEADING\n\n- one\n- two\n\n**bold** and [site](https://example.org)")
    assert "<h2>HEADING</h2>" in html
    assert "<li>one</li>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_heading_offset_demotes_headings():
    assert "<h3>R</h3>" in render_markdown("## R", heading_offset=1)
    assert "<h6>R</h6>" in render_markdown("###### R", heading_offset=1)


def test_typography_uses_curly_quotes():
    assert "“quoted”" in render_markdown('"quoted"')


@pytest.mark.django_db
def test_hostile_letter_is_inert_on_the_campaign_page(client):
    campaign = make_campaign(body="\n\n".join(HOSTILE))
    response = client.get(reverse("campaigns:detail", kwargs={"slug": campaign.slug}))
    assert response.status_code == 200
    # The letter itself: the page around it has the sign-on form on purpose.
    page = response.content.decode()
    letter = page[page.index('<section class="letter"') : page.index("</section>")]
    assert active_content(letter) == []
    assert "<script>alert(1)</script>" in "".join(parse(letter).text)
