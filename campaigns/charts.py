"""Bar charts drawn on the server as SVG: no JavaScript, no chart library.

Each chart has a <title> and <desc> for screen readers (the page also shows the same
numbers as a table). Every label is escaped by format_html; colours come from site.css
classes, so the Content Security Policy needs no inline styles.
"""

from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

LABEL_CHARS = 22
MAX_DAYS = 90


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _svg(
    *, chart_id: str, title: str, description: str, width: int, height: int, body, kind: str
) -> str:
    return format_html(
        '<svg class="chart chart-{kind}" id="{id}" role="img" aria-labelledby="{id}-title" '
        'aria-describedby="{id}-desc" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id,
        kind=kind,
        w=width,
        h=height,
        title=title,
        desc=description,
        body=body,
    )


def bar_chart_horizontal(
    *, chart_id: str, title: str, description: str, bars: list[tuple[str, int]]
) -> SafeString:
    """One row per label, longest bar = the largest value."""
    row, label_width, width, top = 26, 200, 440, 4
    bar_space = width - label_width - 44
    biggest = max((value for _label, value in bars), default=0) or 1

    def _length(value):
        return round(bar_space * value / biggest, 1) if value else 0

    body = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="18"></rect>'
        '<text class="chart-value" x="{}" y="{}">{}</text>',
        (
            (
                label_width - 8,
                top + i * row + 17,
                _short(label),
                label_width,
                top + i * row + 4,
                _length(value),
                label_width + _length(value) + 6,
                top + i * row + 17,
                value,
            )
            for i, (label, value) in enumerate(bars)
        ),
    )
    height = top * 2 + max(len(bars), 1) * row
    return mark_safe(  # noqa: S308 - built by format_html from escaped parts
        _svg(
            chart_id=chart_id,
            title=title,
            description=description,
            width=width,
            height=height,
            body=body,
            kind="bars",
        )
    )


def days_filled(per_day: list[tuple[date, int]], *, today: date) -> list[tuple[date, int]]:
    """Every day from the first sign-on (at most MAX_DAYS ago) to today, zeros included."""
    if not per_day:
        return []
    counts = dict(per_day)
    start = max(min(counts), today - timedelta(days=MAX_DAYS - 1))
    end = max(today, max(counts))
    return [
        (start + timedelta(days=n), counts.get(start + timedelta(days=n), 0))
        for n in range((end - start).days + 1)
    ]


def bar_chart_days(
    *, chart_id: str, title: str, description: str, days: list[tuple[date, int]]
) -> SafeString:
    """One column per day; the first, middle and last dates are labelled under the axis."""
    width, height, left, bottom, top = 600, 220, 36, 28, 12
    plot_w, plot_h = width - left - 8, height - top - bottom
    biggest = max((value for _day, value in days), default=0) or 1
    step = plot_w / max(len(days), 1)
    bars = format_html_join(
        "",
        '<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>',
        (
            (
                round(left + i * step + step * 0.1, 1),
                round(top + plot_h - plot_h * value / biggest, 1),
                round(max(step * 0.8, 1), 1),
                round(plot_h * value / biggest, 1),
                date_format(day, "DATE_FORMAT"),
                value,
            )
            for i, (day, value) in enumerate(days)
        ),
    )
    marks = sorted({0, len(days) // 2, len(days) - 1}) if days else []
    anchors = {0: "start", len(days) - 1: "end"}
    labels = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (
                round(left + i * step + step / 2, 1),
                height - 8,
                anchors.get(i, "middle"),
                date_format(days[i][0], "M j"),
            )
            for i in marks
        ),
    )
    axis = format_html(
        '<line class="chart-axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"></line>'
        '<text class="chart-label" x="{tx}" y="{ty}" text-anchor="end">{max}</text>'
        '<text class="chart-label" x="{tx}" y="{b}" text-anchor="end">0</text>',
        l=left,
        r=width - 8,
        b=top + plot_h,
        tx=left - 6,
        ty=top + 10,
        max=biggest,
    )
    return mark_safe(  # noqa: S308 - built by format_html from escaped parts
        _svg(
            chart_id=chart_id,
            title=title,
            description=description,
            width=width,
            height=height,
            body=axis + bars + labels,
            kind="days",
        )
    )
