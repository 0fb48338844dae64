import pytest
from django import forms
from django.utils import translation

from signatories.forms import QuickSelect, SignOnForm
from tests.factories import make_campaign


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "data", [None, {"country": "CA", "state": "WA"}, {"country": '"><script>', "state": ""}]
)
def test_quick_select_renders_what_djangos_select_renders(language, data):
    campaign = make_campaign()
    with translation.override(language):
        form = SignOnForm(data, campaign=campaign) if data else SignOnForm(campaign=campaign)
        form.is_valid()
        for name in ("country", "state"):
            field = form.fields[name]
            assert isinstance(field.widget, QuickSelect)
            quick = str(form[name])
            field.widget = forms.Select(attrs=field.widget.attrs, choices=field.choices)
            assert quick == str(form[name])


def test_quick_select_escapes_labels_values_and_attributes():
    widget = QuickSelect(
        attrs={"data-x": '"&', "required": True, "disabled": False},
        choices=[("a<b", "<b>bold</b>"), ("", "none")],
    )
    html = widget.render("pick", "a<b")
    assert html == forms.Select(attrs=widget.attrs, choices=widget.choices).render("pick", "a<b")
    assert "<b>" not in html
    assert " required" in html and "disabled" not in html
