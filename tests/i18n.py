"""Finding English left on a page or in an email meant to be in Spanish.

Two nets: the English text of every message in the catalogue (a string that was wrapped
for translation but not translated, or rendered outside the visitor's language), and a
handful of common English words (a string that was never wrapped at all). Content the
campaign team wrote is marked with its own language (`lang="en"`) and is skipped, as are
proper names the test passes in.
"""

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

PO_FILE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
# Words that are not Spanish and turn up in almost any English sentence. ("of" is not
# here: U.S. state names such as "District of Columbia" stay in English.)
ENGLISH_WORDS = {
    "the", "and", "your", "you", "with", "this", "that", "for", "please", "here",
    "have", "has", "will", "are", "is", "was", "be", "to", "it", "not", "or", "an",
    "by", "from", "sign", "email", "signed", "signature", "letter", "page", "link",
}  # fmt: skip
_ATTRIBUTES = {"title", "aria-label", "alt", "placeholder"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip
_SKIPPED = {"script", "style"}


class _TextInLanguage(HTMLParser):
    """Collects the text a person reads or hears, outside elements in another language."""

    def __init__(self, skip_language: str):
        super().__init__(convert_charrefs=True)
        self.skip_language = skip_language
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = (attrs.get("lang") or "").split("-")[0]
        skipped = tag in _SKIPPED or lang == self.skip_language
        if not skipped and not self.skipping:
            self.parts += [value for name, value in attrs.items() if name in _ATTRIBUTES and value]
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag not in _VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data)


def readable_text(html: str, *, skip_language: str = "en") -> str:
    """The page's text and labelling attributes, without parts marked `lang=skip_language`."""
    parser = _TextInLanguage(skip_language)
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


@cache
def _catalogue_english() -> tuple[str, ...]:
    """Literal runs of three words or more from every English message in the catalogue."""
    text = PO_FILE.read_text(encoding="utf-8")
    runs = set()
    for block in text.split("\n\n"):
        for keyword in ("msgid", "msgid_plural"):
            match = re.search(rf'^{keyword} ((?:".*"\n?)+)', block, re.MULTILINE)
            if not match:
                continue
            message = "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"')
            for run in re.split(r"%\(\w+\)s|<[^>]+>|[“”«».:;!?()]", message):
                run = " ".join(run.split())
                if len(run.split()) >= 3:
                    runs.add(run)
    return tuple(sorted(runs, key=len, reverse=True))


def english_left(text: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """English found in `text` (from readable_text or an email), after removing `names`."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    found = [f"message: {run!r}" for run in _catalogue_english() if run in text]
    words = {word.lower() for word in re.findall(r"[^\W\d_]+", text)}  # accents included
    found += [f"word: {word!r}" for word in sorted(words & ENGLISH_WORDS)]
    return found
