"""Plain text from the HTML Teams puts in a message body (``body.contentType == "html"``)."""

from __future__ import annotations

from html.parser import HTMLParser

_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "blockquote"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # &amp; and &#8217; become characters
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(content: str, content_type: str | None = "html") -> str:
    """What a person reads in the message: tags dropped, entities decoded, blank lines
    collapsed. Text that is not HTML is returned unchanged."""
    if (content_type or "").lower() != "html":
        return content
    parser = _Text()
    parser.feed(content)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)
