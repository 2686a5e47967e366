"""The chat messages for each action: system rules, context, the task, then the code.

The selected code comes last, right before the model starts answering, and the request asks
for only its replacement: the less the model repeats (context lines, the whole function,
"... existing code ..." abbreviations), the less the answer needs reconciling. Every message
asks for exactly one fenced code block (or Markdown for Explain) so that extraction has one
thing to find; the context is marked as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lsp_server.refactor.actions import EXPLAIN, TESTS, ActionSpec

SYSTEM_CODE = (
    "You are a careful senior engineer editing code inside an editor. You receive a task and "
    "then a piece of code from a file. Answer with exactly one fenced code block that holds "
    "only the replacement for that piece: its complete new version, every line written out. "
    "Do not repeat lines from around it, do not answer with the whole function or file, do "
    "not abbreviate unchanged lines with '...' or 'existing code' comments. Keep the original "
    "indentation style. No prose outside the block."
)
SYSTEM_EXPLAIN = (
    "You are a senior engineer explaining code to a colleague inside their editor. Answer "
    "in concise Markdown. Do not include images or links."
)
SYSTEM_TESTS = (
    "You are a senior engineer writing unit tests. Use the test framework and style the "
    "project already uses. Answer with exactly one fenced code block and nothing else."
)


@dataclass(frozen=True)
class Snippet:
    """Read-only context: a definition or the enclosing scope, with where it comes from."""

    label: str
    text: str


@dataclass
class PromptInput:
    spec: ActionSpec
    path: str  # repository-relative when known
    language_id: str
    code: str
    instruction: str = ""
    diagnostics: str = ""
    context: list[Snippet] = field(default_factory=list)
    test_path: str = ""
    test_text: str | None = None  # an existing test file's text (None: create it)


def _fence(text: str, language: str = "") -> str:
    longest = max((len(run) for run in text.split("\n") if set(run.strip()) == {"`"}), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _context_block(snippets: list[Snippet], language: str) -> str:
    if not snippets:
        return ""
    parts = ["Context (read-only, for reference; do not repeat it in your answer):"]
    for snippet in snippets:
        parts.append(f"{snippet.label}:\n{_fence(snippet.text, language)}")
    return "\n\n".join(parts) + "\n\n"


def build_messages(p: PromptInput) -> list[dict[str, str]]:
    spec = p.spec
    task = spec.task.format(
        instruction=p.instruction.strip() or "(none)", diagnostics=p.diagnostics or "(none)"
    )
    header = f"File: {p.path}\nLanguage: {p.language_id}\n\n"
    context = _context_block(p.context, p.language_id)
    code = _fence(p.code, p.language_id)
    if spec.id == EXPLAIN:
        user = f"{header}{context}Task: {task}\n\nThe code:\n{code}"
        return [{"role": "system", "content": SYSTEM_EXPLAIN}, {"role": "user", "content": user}]
    if spec.id == TESTS:
        if p.test_text is None:
            where = (
                f"The tests go into the new file {p.test_path}. Answer with the complete "
                "file, imports included."
            )
        else:
            existing = _fence(p.test_text, p.language_id)
            where = (
                f"The tests are appended to the existing file {p.test_path}:\n{existing}\n"
                "Answer with only the new tests to append (plus any import they need that "
                "the file lacks), not the existing ones."
            )
        user = f"{header}{context}Task: {task}\n{where}\n\nThe code to test:\n{code}"
        return [{"role": "system", "content": SYSTEM_TESTS}, {"role": "user", "content": user}]
    user = (
        f"{header}{context}Task: {task}\n"
        "Answer with one fenced code block holding only the replacement for the code below "
        "(all of it, and nothing from around it).\n\n"
        f"The code to replace:\n{code}"
    )
    return [{"role": "system", "content": SYSTEM_CODE}, {"role": "user", "content": user}]


def retry_message(problems: list[str]) -> dict[str, str]:
    """The second turn after an unusable answer: what was wrong, and the same request."""
    listed = "\n".join(f"- {p}" for p in problems)
    return {
        "role": "user",
        "content": (
            "Your answer cannot be used:\n"
            f"{listed}\n"
            "Answer again with exactly one fenced code block that holds only the replacement "
            "for the code, and fixes this."
        ),
    }
