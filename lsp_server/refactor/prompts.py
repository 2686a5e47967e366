"""The chat messages for each action: system rules, context, the code, the task.

Every message asks for exactly one fenced code block (or Markdown for Explain) so that
extraction has one thing to find; the context is marked as read-only so that the model
does not rewrite it into the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lsp_server.refactor.actions import EXPLAIN, TESTS, ActionSpec

SYSTEM_CODE = (
    "You are a careful senior engineer editing code inside an editor. You receive a piece of "
    "code from a file and a task. Answer with exactly one fenced code block that contains the "
    "complete replacement for that piece of code and nothing else: no placeholders, no "
    "'...', no code outside the piece. Keep the original indentation style. Do not add prose "
    "unless it is a comment that belongs in the code."
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
    code = f"The code:\n{_fence(p.code, p.language_id)}\n\n"
    if spec.id == EXPLAIN:
        user = f"{header}{context}{code}Task: {task}"
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
        user = f"{header}{context}{code}Task: {task}\n{where}"
        return [{"role": "system", "content": SYSTEM_TESTS}, {"role": "user", "content": user}]
    user = (
        f"{header}{context}{code}Task: {task}\n"
        "Answer with one fenced code block holding the full replacement for the code above."
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
            "Answer again with exactly one fenced code block that fixes this."
        ),
    }
