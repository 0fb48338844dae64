"""The fuzz tests' judge catches what it is there to catch: views built to be wrong."""

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.http import HttpResponse, HttpResponseServerError
from django.test import Client
from django.urls import path

from .harness import Fuzzed, invalid_because, send
from .site import forms_on

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.fuzz.test_harness")]


class NameForm(forms.Form):
    name = forms.CharField(max_length=5)
    colour = forms.ChoiceField(choices=[("red", "Red"), ("blue", "Blue")], required=False)
    email = forms.EmailField(required=False)


def _create_user():
    get_user_model().objects.create(username=f"user{get_user_model().objects.count()}")


def crashes(request):
    raise ValueError("a bug")


def writes_whatever_it_gets(request):
    _create_user()
    return HttpResponse("saved")


def writes_then_refuses(request):
    _create_user()
    return HttpResponse("refused", status=400)


def form_page(request):
    return HttpResponse(f'<form method="post" action="/write/">{NameForm().as_div()}</form>')


def plain_server_error(request):
    return HttpResponseServerError("server error")


# The site's 500 page links to its own pages, which this URLconf does not have.
handler500 = "tests.fuzz.test_harness.plain_server_error"
urlpatterns = [
    path("crash/", crashes),
    path("write/", writes_whatever_it_gets),
    path("refuse/", writes_then_refuses),
    path("form/", form_page),
]


def test_a_server_error_fails():
    with pytest.raises(ValueError, match="a bug"):
        send(Client(), Fuzzed(method="GET", path="/crash/"), target=None)
    quiet = Client(raise_request_exception=False)
    with pytest.raises(AssertionError, match="server error 500"):
        send(quiet, Fuzzed(method="GET", path="/crash/"), target=None)


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (Fuzzed(method="POST", path="/write/", invalid="name: required"), "invalid input"),
        (Fuzzed(method="GET", path="/write/"), "a GET"),
        (Fuzzed(method="DELETE", path="/write/"), "a DELETE"),
        (Fuzzed(method="POST", path="/refuse/"), "answered 400"),
    ],
)
def test_a_write_that_should_not_happen_fails_and_is_rolled_back(request_, message):
    with pytest.raises(AssertionError, match=message):
        send(Client(), request_, target=None)
    assert not get_user_model().objects.exists()


def test_a_write_from_input_that_may_be_valid_passes():
    send(Client(), Fuzzed(method="POST", path="/write/"), target=None)


def test_the_rules_a_django_form_renders_tell_invalid_input_apart():
    html = Client().get("/form/").content.decode()
    (form,) = forms_on("/form/", html)
    assert form.action == "/write/"
    assert invalid_because(form, {"name": ["Ana"], "colour": ["red"]}) is None
    assert (
        invalid_because(form, {"name": ["Ana"], "colour": ["08"]})
        == "colour: not one of the options"
    )
    assert invalid_because(form, {}) == "name: required and missing"
    assert invalid_because(form, {"name": ["   "]}) == "name: required and missing"
    assert invalid_because(form, {"name": ["Anabel"]}) == "name: longer than 5"
    assert invalid_because(form, {"name": ["A\x00"]}) == "name: a NUL character"
    assert invalid_because(form, {"name": ["Ana"], "email": ["@"]}) == "email: not a valid email"
    # A later value is the one Django reads.
    assert invalid_because(form, {"name": ["Ana", ""]}) == "name: required and missing"
