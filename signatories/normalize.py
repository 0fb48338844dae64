"""Canonical forms that decide when two sign-ons are "the same": one address, one organization.

These keys are for comparing, never for showing: pages and emails use what the signer typed.
"""

import re
import unicodedata

from django.utils.encoding import punycode

# Legal-form words that do not make a different organization ("Acme, Inc." is "Acme").
_LEGAL_SUFFIXES = {"inc", "incorporated", "llc", "ltd", "limited", "corp", "corporation", "co"}
_SPACES = re.compile(r"\s+")


def email_canonical(email: str) -> str:
    """The address as the mail system sees it: trimmed, lower-cased, the domain in ASCII.

    "  Ana@Bücher.Example. " and "ana@xn--bcher-kva.example" are the same mailbox and give the
    same key. Raises ValueError for a domain that cannot be encoded (the form rejects those).
    """
    email = unicodedata.normalize("NFC", email.strip())
    local, at, domain = email.rpartition("@")
    if not at:
        return email.lower()
    domain = domain.lower().rstrip(".")
    try:
        domain = punycode(domain)
    except UnicodeError as error:
        raise ValueError("This email domain cannot be encoded.") from error
    return f"{local.lower()}@{domain}"


def _strip_accents(text: str) -> str:
    """Drop accents from Latin, Greek and Cyrillic letters only.

    Elsewhere combining marks are vowels or tones (Devanagari, Thai, Vietnamese keeps its
    base letters Latin) and dropping them would make different names look alike.
    """
    kept = []
    base_is_alphabetic = False
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            if not base_is_alphabetic:
                kept.append(ch)
            continue
        base_is_alphabetic = unicodedata.name(ch, "").startswith(("LATIN", "GREEK", "CYRILLIC"))
        kept.append(ch)
    return "".join(kept)


def organization_key(name: str) -> str:
    """A name stripped of what does not tell organizations apart, for spotting duplicates.

    Case, accents, punctuation, spacing, a leading "The", "&" versus "and" and legal forms
    ("Inc.", "LLC") are ignored. Scripts without case or accents (Arabic, CJK) keep their
    letters. Different wordings ("ACLU of WA" / "ACLU Washington") stay different: merging
    those is a campaign lead's call.
    """
    # Compatibility forms first ("𝓐" is "A", "ﬁ" is "fi"), then case and accents.
    text = unicodedata.normalize("NFKC", name).casefold()
    text = unicodedata.normalize("NFC", _strip_accents(text)).casefold().replace("&", " and ")
    # Punctuation and symbols become spaces, so "Health-Care" and "Health Care" match.
    text = "".join(" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text)
    words = _SPACES.split(text.strip())
    while len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words = words[:-1]
    return " ".join(words)[:200]
