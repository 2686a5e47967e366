"""Finding the code in a chat answer: the fenced block that is the answer, not the one that
is longest, or the whole answer when it is bare code and nothing else.

Models add usage examples, shell commands and "before" snippets in blocks of their own; the
block that replaces the selection reads like the selection and is in the file's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.refactor.fuzzy_lines import block_similarity, words
from lsp_server.refactor.validation import fragment_errors, parses_cleanly

_OPEN = re.compile(r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_FENCE_LINE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.M)
_NOT_CODE = {"bash", "sh", "shell", "console", "text", "output", "plaintext", "txt", "diff"}
_CODE_LANGUAGES = {
    "python", "py", "javascript", "js", "typescript", "ts", "tsx", "jsx", "go", "golang",
    "rust", "rs", "java", "c", "cpp", "c++", "csharp", "cs", "ruby", "rb", "php", "kotlin",
    "swift", "scala",
}  # fmt: skip


@dataclass(frozen=True)
class CodeBlock:
    code: str
    info: str  # the info string after the fence ("python", "py title=x", "")
    closed: bool
    fenced: bool = True


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


def _fit(block: CodeBlock, language_id: str, selection: str) -> float:
    """How likely this block is the replacement: its language, and how much it reads like
    the selection (lines and names in common)."""
    language = _language_of(block.info)
    aliases = {language_id.lower(), *_ALIASES.get(language_id.lower(), ())}
    score = 0.0
    if language in aliases:
        score += 1.0
    elif language in _NOT_CODE or language in _CODE_LANGUAGES:
        score -= 2.0
    if selection.strip():
        score += block_similarity(selection.split("\n"), block.code.split("\n"))
        mine, theirs = set(words(selection)), set(words(block.code))
        if mine | theirs:
            score += 2.0 * len(mine & theirs) / len(mine | theirs)
    return score


def extract_code(answer: str, language_id: str = "", selection: str = "") -> CodeBlock | None:
    """The code block the answer is about.

    One block: that one. Several: the one that best fits the language and the selection
    (the first on a tie: models answer first and illustrate after). No block: the whole
    answer when it parses as the language and shares names with the selection; else None.
    """
    blocks = fenced_blocks(answer)
    if not blocks:
        return _bare_code(answer, language_id, selection)
    closed = [b for b in blocks if b.closed] or blocks
    if len(closed) == 1:
        return closed[0]
    ranked = sorted(
        enumerate(closed), key=lambda item: (-_fit(item[1], language_id, selection), item[0])
    )
    return ranked[0][1]


def _bare_code(answer: str, language_id: str, selection: str) -> CodeBlock | None:
    """The answer as code when it is code: it parses (or, for a selection that is itself a
    fragment such as an opening line, breaks no more than the selection) and shares names
    with the selection (a sentence that happens to parse, "Done.", shares nothing)."""
    code = answer.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not code.strip() or not language_id or _FENCE_LINE.search(code):
        return None
    mine, theirs = set(words(selection)), set(words(code))
    overlap = len(mine & theirs) / len(mine) if mine else 0.0
    if selection.strip() and not mine & theirs:
        return None
    if parses_cleanly(code, language_id):
        return CodeBlock(code, "", True, fenced=False)
    if selection.strip() and overlap >= 0.5 and not parses_cleanly(selection, language_id):
        mine_errors = fragment_errors(selection, language_id)
        if mine_errors is not None and (fragment_errors(code, language_id) or 0) <= mine_errors:
            return CodeBlock(code, "", True, fenced=False)
    return None


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
