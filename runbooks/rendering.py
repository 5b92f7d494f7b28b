"""How a runbook is shown: Markdown to sanitised HTML with heading anchors, and revision diffs."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Raw HTML in a runbook is shown as text, never passed through; markdown-it also refuses
# javascript:/vbscript:/data: links. nh3 then cleans the output as a second, independent
# line of defence, so a bug in either one alone does not reach the browser.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

ANCHORED_HEADINGS = {"h2", "h3"}
ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "s",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "code": {"class"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown -> HTML that is safe to mark safe in a template; h2/h3 get ids and anchor links."""
    tokens = _markdown.parse(text)
    _anchor_headings(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES
    )


def _anchor_headings(tokens: Sequence[Token]) -> None:
    used: set[str] = set()
    for opening, inline in zip(tokens, tokens[1:], strict=False):
        if opening.type != "heading_open" or opening.tag not in ANCHORED_HEADINGS:
            continue
        anchor = _unique(slugify(_plain_text(inline.children or [])) or "section", used)
        opening.attrSet("id", anchor)
        inline.children = [*(inline.children or []), *_anchor_link(anchor)]


def _plain_text(children: Iterable[Token]) -> str:
    return "".join(child.content for child in children if child.type in {"text", "code_inline"})


def _unique(anchor: str, used: set[str]) -> str:
    candidate, n = anchor, 1
    while candidate in used:
        n += 1
        candidate = f"{anchor}-{n}"
    used.add(candidate)
    return candidate


def _anchor_link(anchor: str) -> list[Token]:
    opening = Token("link_open", "a", 1, attrs={"href": f"#{anchor}", "class": "anchor"})
    return [Token("text", "", 0, content=" "), opening, Token("text", "", 0, content="#"),
            Token("link_close", "a", -1)]  # fmt: skip


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "hunk", "header" or "context": the CSS class in the template
    text: str


@dataclass(frozen=True)
class RevisionDiff:
    number: int
    previous: int | None
    lines: list[DiffLine]


def revision_diffs(sources: Sequence[tuple[int, str]]) -> list[RevisionDiff]:
    """[(number, source)] oldest first -> the unified diff of each revision against the one
    before it, newest first. Lines are plain text: the template escapes them."""
    diffs: list[RevisionDiff] = []
    previous: tuple[int, str] | None = None
    for number, source in sources:
        before = previous[1] if previous else ""
        lines = _unified(before, source, previous[0] if previous else None, number)
        diffs.append(RevisionDiff(number, previous[0] if previous else None, lines))
        previous = (number, source)
    return diffs[::-1]


def _unified(before: str, after: str, old: int | None, new: int) -> list[DiffLine]:
    diff = difflib.unified_diff(
        before.splitlines(),
        after.splitlines(),
        fromfile=f"r{old}" if old else "(none)",
        tofile=f"r{new}",
        lineterm="",
    )
    return [DiffLine(_kind(line), line) for line in diff]


def _kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "remove"}.get(line[:1], "context")
