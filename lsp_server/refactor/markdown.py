"""Making a model's Markdown safe to render in an editor.

A rendered image is fetched by the editor without a click, so a remote image URL in an
answer would carry data to whoever owns that host; a remote link is one click from the same.
Both are removed (a link keeps its text); code blocks are left exactly as they are.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<url>[^)]*)\)")
_IMAGE_REF = re.compile(r"!\[(?P<alt>[^\]]*)\]\[[^\]]*\]")
_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\((?P<url>[^)]*)\)")
_LINK_REF = re.compile(r"\[(?P<text>[^\]]+)\]\[[^\]]*\]")
_REF_DEF = re.compile(r"^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$")
_AUTOLINK = re.compile(r"<(?P<url>[a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")
_HTML_IMG = re.compile(
    r"<\s*(img|image|picture|source|video|audio|iframe|object|embed)\b[^>]*>", re.I
)
_HTML_TAG = re.compile(r"</?\s*[a-zA-Z][a-zA-Z0-9-]*\b[^>]*>")
_BARE_URL = re.compile(r"(?<![`\w])(?:[a-zA-Z][a-zA-Z0-9+.-]*://|www\.)[^\s`<>()\[\]]+")
_INLINE_CODE = re.compile(r"(`+)(?:.*?)\1")


def _is_local(url: str) -> bool:
    """Anchors within the document are harmless; everything else counts as remote."""
    return url.strip().startswith("#")


def _sanitize_text(line: str) -> str:
    line = _HTML_IMG.sub("", line)
    line = _IMAGE.sub("", line)
    line = _IMAGE_REF.sub("", line)
    line = _LINK.sub(lambda m: m.group(0) if _is_local(m.group("url")) else m.group("text"), line)
    line = _LINK_REF.sub(lambda m: m.group("text"), line)
    line = _AUTOLINK.sub(lambda m: f"`{m.group('url')}`", line)
    line = _HTML_TAG.sub("", line)
    return _BARE_URL.sub(lambda m: f"`{m.group(0)}`", line)


def _sanitize_line(line: str) -> str:
    """Sanitise prose but not inline code spans (`like this`), which render literally."""
    out: list[str] = []
    last = 0
    for match in _INLINE_CODE.finditer(line):
        out.append(_sanitize_text(line[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_sanitize_text(line[last:]))
    return "".join(out)


def sanitize_markdown(text: str) -> str:
    """The answer without remote images, remote links, link definitions or raw HTML."""
    out: list[str] = []
    fence: str | None = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            closes = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
            if closes and not line.strip().lstrip(fence[0]):
                fence = None
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        if _REF_DEF.match(line):
            continue
        out.append(_sanitize_line(line))
    return "\n".join(out).strip() + "\n"
