"""Keyed hashes that let us count and match signers' addresses without keeping them.

The raw IP address is never stored or logged: only `ip_hash(ip)`. Cache keys and the daily
email cap use `address_hash(email_canonical)`, so neither Redis nor a table of counters
holds anyone's address.
"""

import hashlib
import hmac
import ipaddress

from django.conf import settings
from django.utils.crypto import salted_hmac


def ip_hash(ip: str) -> str:
    """HMAC-SHA256 of an IP address under settings.IP_HASH_KEY (hex); "" for no address."""
    if not ip:
        return ""
    return hmac.new(settings.IP_HASH_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()


def address_hash(email_canonical: str) -> str:
    """A keyed hash of a canonical email address, for counters and cache keys."""
    return salted_hmac("signatories.address", email_canonical, algorithm="sha256").hexdigest()


def client_ip(request) -> str:
    """The visitor's IP address: REMOTE_ADDR, or the header a trusted proxy sets.

    With CLIENT_IP_HEADER (e.g. "X-Forwarded-For") the right-most address in that header
    is used: the one our own proxy appended, which a client cannot forge. Only set it
    when such a proxy is in front of every request.
    """
    header = settings.CLIENT_IP_HEADER
    value = ""
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_key, "").split(",")[-1].strip()
    if not value:
        value = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""
