"""Reading HTML the way a browser would, to check what is markup and what is only text."""

from html.parser import HTMLParser


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def active_content(html: str) -> list[str]:
    """Everything in the markup that could run code or load something from elsewhere."""
    found = []
    for tag, attrs in parse(html).elements:
        if tag in {"script", "iframe", "object", "embed", "img", "svg", "math", "form", "base"}:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "formaction"} and value.strip().lower().startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                found.append(f"{tag}[{name}={value}]")
    return found
