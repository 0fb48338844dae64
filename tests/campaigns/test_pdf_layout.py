"""Long signer lists: hand-made columns that fill pages, and their safety net."""

import pytest

from campaigns import pdf
from campaigns.pdf import ListItem, estimated_lines, pdf_build
from tests.factories import make_campaign, make_signature

from .pdf_helpers import page_texts, reader, structure_problems


def _items(groups):
    items = [ListItem("section", "Organizations")]
    for heading, names in groups:
        items.append(ListItem("group", heading))
        items += [ListItem("signer", name) for name in names]
    return items


def _paginate(items, columns=3, first=20, capacity=30):
    sizes = [pdf._item_lines(item, safety=1.0, columns=columns) for item in items]
    return pdf._paginate(items, sizes, columns=columns, first_capacity=first, capacity=capacity)


def _height(column, columns=3):
    return sum(
        pdf._item_lines(item, safety=1.0, columns=columns) + (pdf._gap(item) if n else 0)
        for n, item in enumerate(column)
    )


def test_columns_fill_pages_keep_every_signer_once_and_in_order():
    names = [f"Organization number {n} of the long list" for n in range(400)]
    groups = [(f"State {g}", names[g * 40 : (g + 1) * 40]) for g in range(10)]
    pages = _paginate(_items(groups))
    signers = [i.text for page in pages for col in page for i in col if i.kind == "signer"]
    assert signers == names
    for number, page in enumerate(pages):
        assert len(page) <= 3
        for column in page:
            assert _height(column) <= (20 if number == 0 else 30)
            # A heading never ends a column: its first signer comes with it.
            assert column[-1].kind == "signer"


def test_a_group_that_goes_on_in_the_next_column_repeats_its_heading():
    groups = [("Washington", [f"Group {n}" for n in range(100)])]
    pages = _paginate(_items(groups))
    second_column = pages[0][1]
    assert second_column[0] == ListItem("group", "Washington", continued=True)


def test_the_last_page_is_balanced():
    names = [f"Org {n}" for n in range(120)]
    pages = _paginate(_items([("Texas", names)]), first=100, capacity=100)
    assert len(pages) == 1
    heights = [_height(column) for column in pages[0]]
    assert len(heights) == 3 and max(heights) - min(heights) <= 2


def test_estimates_count_wrapped_lines_and_break_cjk_anywhere():
    assert estimated_lines("Short name") == 1
    long = "The Greater Northwestern Interfaith Partnership for Housing and Health"
    assert estimated_lines(long, columns=3) > estimated_lines(long, columns=2) >= 2
    assert estimated_lines("日系コミュニティ支援センター" * 4, columns=3) >= 3
    assert estimated_lines("x" * 200, columns=3) >= 4  # a word longer than a line


@pytest.mark.django_db
def test_a_long_list_is_laid_out_by_hand_and_every_name_is_printed(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(title="A long list")
    states = ["WA", "OR", "CA", "NY", "TX"]
    names = [f"Community Organization Number {n:04d}" for n in range(900)]
    for n, name in enumerate(names):
        make_signature(campaign=campaign, organization_name=name, state=states[n % 5])
    with pdf._rendering():
        shared = pdf._gather(campaign=campaign, date=None)
        layout = pdf._list_layout(shared, 1.0)
        assert layout.mode == "pages"
        document = pdf._render_shared(shared, placeholder_pages=0)
        assert pdf._overflowing_columns(document) == 0
    built = pdf_build(campaign=campaign)
    pages = page_texts(built)
    content = " ".join(pages)
    for name in names:
        assert name in content
    assert "WASHINGTON (continued)" in content
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert structure_problems(reader(built)) == []


@pytest.mark.django_db
def test_when_the_estimate_is_wrong_the_list_falls_back_to_css_columns(
    settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(title="Badly measured")
    names = [f"Community Organization Number {n:04d}" for n in range(700)]
    for name in names:
        make_signature(campaign=campaign, organization_name=name)
    # Pretend every name is tiny: the hand layout then overfills its columns.
    metrics = pdf._metrics()
    monkeypatch.setattr(
        metrics, "words", lambda text: [(0.01, n > 0) for n, _w in enumerate(text.split())]
    )
    modes = []
    render = pdf._render

    def spy(html):
        modes.append("signer-flow" in html)
        return render(html)

    monkeypatch.setattr(pdf, "_render", spy)
    content = " ".join(page_texts(pdf_build(campaign=campaign)))
    assert modes[-1] is True and modes[0] is False
    for name in names:
        assert name in content
