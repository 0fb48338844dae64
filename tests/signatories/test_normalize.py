import pytest
from hypothesis import given
from hypothesis import strategies as st

from signatories.normalize import email_canonical, organization_key


@pytest.mark.parametrize(
    "typed",
    [
        "ana@harborlight.example",
        "  Ana@HarborLight.Example ",
        "ANA@HARBORLIGHT.EXAMPLE.",
        "\tana@harborlight.example\n",
    ],
)
def test_an_address_in_any_case_or_spacing_has_one_canonical_form(typed):
    assert email_canonical(typed) == "ana@harborlight.example"


def test_an_international_domain_is_compared_in_its_ascii_form():
    assert email_canonical("Ana@Bücher.Example") == "ana@xn--bcher-kva.example"
    assert email_canonical("ana@xn--bcher-kva.example") == "ana@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Fédération des Survivantes", "federation des survivantes"),
        ("The Harbor Light Collective, Inc.", "Harbor Light Collective"),
        ("Health & Housing", "Health and Housing"),
        ("Health-Care   Network", "health care network"),
        ("Sex Workers Outreach Project – Chicago", "Sex Workers Outreach Project Chicago"),
    ],
)
def test_organization_names_written_differently_share_a_key(a, b):
    assert organization_key(a) == organization_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ACLU of WA", "ACLU Washington"),
        ("जल संगठन", "जिल संगठन"),
    ],
)
def test_different_organizations_keep_different_keys(a, b):
    assert organization_key(a) != organization_key(b)


def test_names_in_other_scripts_keep_their_letters():
    assert organization_key("جمعية الأمل لدعم الناجيات") == "جمعية الأمل لدعم الناجيات"
    assert organization_key("华人妇女互助会") == "华人妇女互助会"
    assert organization_key("한인 여성 쉼터 네트워크") == "한인 여성 쉼터 네트워크"


@given(st.text(max_size=300))
def test_an_organization_key_is_stable_and_fits_the_column(name):
    key = organization_key(name)
    assert len(key) <= 200
    assert organization_key(key) == key or len(key) == 200
