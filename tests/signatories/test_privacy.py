import pytest
from django.test import RequestFactory

from signatories.privacy import client_ip, ip_hash


@pytest.fixture
def rf():
    return RequestFactory()


def test_the_client_ip_is_remote_addr_unless_a_proxy_header_is_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    settings.CLIENT_IP_HEADER = ""
    assert client_ip(request) == "10.0.0.1"  # a client cannot choose its own address
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_ip(request) == "198.51.100.9"


def test_behind_a_proxy_the_address_it_appended_is_used(rf, settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    assert client_ip(request) == "198.51.100.9"


def test_garbage_in_the_address_gives_no_address(rf, settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    request = rf.get("/", REMOTE_ADDR="not an ip", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(request) == ""
    assert ip_hash("") == ""


def test_the_ip_hash_is_keyed(settings):
    settings.IP_HASH_KEY = "one"
    first = ip_hash("198.51.100.9")
    settings.IP_HASH_KEY = "two"
    assert ip_hash("198.51.100.9") != first
    assert len(first) == 64
