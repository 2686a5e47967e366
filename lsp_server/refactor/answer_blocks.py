"""Finding the code in a chat answer: one fenced block, whatever prose surrounds it."""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")


@dataclass(frozen=True)
class CodeBlock:
    code: str
    info: str  # the info string after the fence ("python", "py title=x", "")
    closed: bool


def fenced_blocks(answer: str) -> list[CodeBlock]:
    """Every fenced block in a Markdown answer, in order (an unclosed last one included)."""
    lines = answer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[CodeBlock] = []
    i = 0
    while i < len(lines):
        match = _OPEN.match(lines[i])
        if match is None:
            i += 1
            continue
        fence = match.group("fence")
        info = match.group("info").strip()
        closing = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        i += 1
        closed = False
        while i < len(lines):
            if closing.match(lines[i]):
                closed = True
                i += 1
                break
            body.append(lines[i])
            i += 1
        blocks.append(CodeBlock("\n".join(body), info, closed))
    return blocks


def _language_of(info: str) -> str:
    return info.split()[0].lower().lstrip("{.") if info else ""


def extract_code(answer: str, language_id: str = "") -> CodeBlock | None:
    """The code block the answer is about.

    One block: that one. Several: the longest whose info string names the language (models
    sometimes add a usage example in another block), else the longest. None when the answer
    has no fenced block at all.
    """
    blocks = fenced_blocks(answer)
    if not blocks:
        return None
    closed = [b for b in blocks if b.closed] or blocks
    if len(closed) == 1:
        return closed[0]
    aliases = {language_id.lower(), *_ALIASES.get(language_id.lower(), ())}
    same = [b for b in closed if _language_of(b.info) in aliases]
    pool = same or closed
    return max(pool, key=lambda b: len(b.code))


_ALIASES: dict[str, tuple[str, ...]] = {
    "python": ("py", "python3"),
    "javascript": ("js", "jsx", "javascriptreact"),
    "javascriptreact": ("js", "jsx", "javascript"),
    "typescript": ("ts",),
    "typescriptreact": ("tsx", "typescript", "ts"),
    "tsx": ("typescriptreact", "typescript", "ts"),
    "rust": ("rs",),
    "ruby": ("rb",),
    "csharp": ("cs", "c#"),
    "cpp": ("c++", "cc", "cxx"),
    "go": ("golang",),
}
