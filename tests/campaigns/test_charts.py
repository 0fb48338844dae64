from datetime import date

from campaigns.charts import bar_chart_days, bar_chart_horizontal, days_filled
from tests.html import parse


def test_days_without_sign_ons_are_drawn_as_zero():
    filled = days_filled([(date(2026, 3, 1), 4), (date(2026, 3, 4), 2)], today=date(2026, 3, 5))
    assert filled == [
        (date(2026, 3, 1), 4),
        (date(2026, 3, 2), 0),
        (date(2026, 3, 3), 0),
        (date(2026, 3, 4), 2),
        (date(2026, 3, 5), 0),
    ]
    assert days_filled([], today=date(2026, 3, 5)) == []


def test_only_the_last_90_days_are_drawn():
    filled = days_filled([(date(2025, 1, 1), 1)], today=date(2026, 3, 5))
    assert len(filled) == 90


def test_a_horizontal_chart_has_one_bar_per_label_and_escapes_labels():
    svg = bar_chart_horizontal(
        chart_id="c",
        title="Per <state>",
        description="Counts & more",
        bars=[("<script>x</script>", 10), ("WA", 5), ("A very long partner name that goes on", 0)],
    )
    html = parse(svg)
    tags = [tag for tag, _attrs in html.elements]
    assert tags.count("rect") == 3
    assert "script" not in tags
    assert "<script>x</script>" in "".join(html.text)  # as text, not markup
    assert "Per <state>" in "".join(html.text)
    widths = [float(a["width"]) for t, a in html.elements if t == "rect"]
    assert widths[0] == 2 * widths[1]
    assert widths[2] == 0
    assert "A very long partner n…" in "".join(html.text)


def test_a_daily_chart_labels_first_middle_and_last_day():
    days = [(date(2026, 3, d), d) for d in range(1, 8)]
    svg = bar_chart_days(chart_id="d", title="T", description="D", days=days)
    html = parse(svg)
    svg_attrs = html.elements[0][1]
    assert svg_attrs["role"] == "img"
    assert svg_attrs["aria-labelledby"] == "d-title"
    assert svg_attrs["aria-describedby"] == "d-desc"
    texts = "".join(html.text)
    assert "Mar 1" in texts and "Mar 4" in texts and "Mar 7" in texts
    assert [t for t, _a in html.elements].count("rect") == 7
