"""The refactor service: one action on one range, from prompt to validated, minimal edits.

LSP-free, shared by the server's code actions and commands and by `mistral-lsp refactor`.
Nothing here applies anything: it returns edits (offsets into the text it was given) and
the callers check the document version before they apply them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsp_server.context import ContextBuilder, count_tokens
from lsp_server.endpoint import ChatRequest, EndpointError
from lsp_server.refactor import textops
from lsp_server.refactor.actions import ACTIONS, EXPLAIN, FIX, REFACTOR, TESTS, ActionSpec
from lsp_server.refactor.answer_blocks import extract_code
from lsp_server.refactor.fitting import fit_code
from lsp_server.refactor.markdown import sanitize_markdown
from lsp_server.refactor.prompts import PromptInput, Snippet, build_messages, retry_message
from lsp_server.refactor.reconcile import Reconciled
from lsp_server.refactor.redaction import restore_redactions
from lsp_server.refactor.syntax import enclosing_definition, full_lines
from lsp_server.refactor.testfiles import locate_test_file
from lsp_server.refactor.textops import TextEdit
from lsp_server.refactor.validation import syntax_problems

if TYPE_CHECKING:
    from lsp_server.session import Session

log = logging.getLogger(__name__)

#: At most this much of an existing test file is shown to the model, in characters.
TEST_FILE_CHARS = 12_000


class RefactorError(Exception):
    """The action produced nothing applicable; `reason` is one line fit for the user."""

    kind = "error"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SelectionTooLarge(RefactorError):
    kind = "too-large"


class InvalidAnswer(RefactorError):
    """The model's answer had no code block or broke the syntax, twice."""

    kind = "invalid-answer"


class NotAllowed(RefactorError):
    """Excluded file, refactors disabled, or no endpoint."""

    kind = "not-allowed"


@dataclass(frozen=True)
class DiagnosticInfo:
    """A diagnostic the Fix action is about (line is 1-based)."""

    message: str
    line: int
    code: str | None = None
    source: str | None = None

    def describe(self) -> str:
        where = f"line {self.line}"
        origin = " ".join(x for x in (self.source, f"[{self.code}]" if self.code else None) if x)
        return f"- {where}: {self.message}" + (f" ({origin})" if origin else "")


@dataclass
class RefactorRequest:
    action: str
    path: Path | None
    language_id: str
    text: str
    start: int
    end: int
    instruction: str = ""
    diagnostics: tuple[DiagnosticInfo, ...] = ()
    uri: str | None = None  # the document's: a diff view is judged by the file it shows


@dataclass
class FileChange:
    """A change to another file (generated tests): edits are offsets into `old_text`."""

    path: Path
    exists: bool
    old_text: str
    new_text: str
    edits: list[TextEdit]


@dataclass
class RefactorResult:
    action: str
    start: int  # the range the action worked on (may be wider than the selection)
    end: int
    edits: list[TextEdit] = field(default_factory=list)
    new_text: str = ""  # the whole document after the edits
    markdown: str = ""
    test_file: FileChange | None = None
    model: str = ""
    attempts: int = 1

    @property
    def changed(self) -> bool:
        return bool(self.edits) or self.test_file is not None


Progress = Callable[[str], None]


class RefactorService:
    def __init__(
        self, session: Session, read_file: Callable[[Path], str | None] | None = None
    ) -> None:
        self._session = session
        self._read_file = read_file or _read_file

    # -- checks --------------------------------------------------------------------

    def allowed(self, path: Path | None, uri: str | None = None) -> bool:
        """Whether Mistral actions may be offered for this file at all (cheap)."""
        settings = self._session.settings
        return bool(settings.refactor.enabled) and not self._session.is_excluded(path, uri)

    def target(self, request: RefactorRequest) -> tuple[int, int]:
        """The range the action works on: the selection, or the function/class around it.

        A Fix is asked about a diagnostic's range, often a few characters of one line; the
        repair may need the lines around it, so it works on the enclosing definition.
        """
        start, end = sorted((request.start, request.end))
        text, language = request.text, request.language_id
        within_line = "\n" not in text[start:end] and "\r" not in text[start:end]
        if start < end and text[start:end].strip() and not (request.action == FIX and within_line):
            return start, end
        found = enclosing_definition(text, language, start, end)
        if found is not None:
            return found
        if request.action == FIX or start < end:
            return full_lines(text, start, end)
        raise RefactorError(
            "Select the code first: there is no function or class around the cursor."
        )

    def _check_size(self, code: str) -> None:
        limit = self._session.settings.refactor.max_tokens
        tokens = count_tokens(code)
        if tokens > limit:
            raise SelectionTooLarge(
                f"The selection is about {tokens} tokens, more than a refactor answer may hold "
                f"(refactor.max_tokens = {limit}). Select less, or raise refactor.max_tokens."
            )

    # -- running -------------------------------------------------------------------

    async def run(
        self, request: RefactorRequest, on_progress: Progress | None = None
    ) -> RefactorResult:
        spec = ACTIONS.get(request.action)
        if spec is None:
            raise RefactorError(f"Unknown Mistral action {request.action!r}.")
        session = self._session
        if not session.settings.refactor.enabled:
            raise NotAllowed("Mistral refactors are turned off (refactor.enabled = false).")
        if session.is_excluded(request.path, request.uri):
            raise NotAllowed("This file is excluded: its text never leaves the machine.")
        if spec.needs_instruction and not request.instruction.strip():
            raise RefactorError("Refactor selection needs an instruction.")
        start, end = self.target(request)
        code = request.text[start:end]
        self._check_size(code)
        snippets, context_sources = self._context(request, start, end)
        prompt = self._prompt_input(spec, request, start, end, snippets)
        sources = self._sources(request.path, context_sources)
        if spec.id == EXPLAIN:
            answer = await self._chat(build_messages(prompt), sources, on_progress)
            return RefactorResult(spec.id, start, end, markdown=sanitize_markdown(answer))
        if spec.id == TESTS:
            return await self._tests(request, prompt, sources, start, end, on_progress)
        return await self._rewrite(request, prompt, sources, start, end, on_progress)

    async def _rewrite(
        self,
        request: RefactorRequest,
        prompt: PromptInput,
        sources: list[str],
        start: int,
        end: int,
        on_progress: Progress | None,
    ) -> RefactorResult:
        text, language = request.text, request.language_id
        allowed = frozenset(d.line for d in request.diagnostics)
        fitted: dict[str, Reconciled] = {}
        # A Fix works on the enclosing definition, but a model may answer with just the
        # diagnostic's lines fixed: that answer fits those lines.
        lines = full_lines(text, *sorted((request.start, request.end)))
        narrow = lines if request.action == FIX and lines != (start, end) else None

        def shape(code: str) -> tuple[str, list[str]]:
            result, problems = fit_code(code, text, start, end, language, prompt.spec.id, allowed)
            if result is None and narrow is not None:
                result, _ = fit_code(code, text, *narrow, language, prompt.spec.id, allowed)
            if result is None:
                return text, problems
            fitted[result.new_text] = result
            return result.new_text, []

        new_text, attempts = await self._ask_validated(prompt, sources, shape, on_progress)
        edits = fitted[new_text].edits
        return RefactorResult(
            request.action,
            start,
            end,
            edits=edits,
            new_text=new_text,
            model=self._session.settings.models.chat,
            attempts=attempts,
        )

    async def _tests(
        self,
        request: RefactorRequest,
        prompt: PromptInput,
        sources: list[str],
        start: int,
        end: int,
        on_progress: Progress | None,
    ) -> RefactorResult:
        if request.path is None:
            raise RefactorError("Tests can only be generated for a file on disk.")
        root = self._root_of(request.path)
        test_path = locate_test_file(request.path, root, request.language_id)
        if self._session.is_excluded(test_path):
            raise NotAllowed(f"The test file {test_path.name} is excluded.")
        existing = self._current_text(test_path)
        prompt.test_path = self._relative(test_path)
        prompt.test_text = None if existing is None else existing[-TEST_FILE_CHARS:]
        old = existing or ""
        if existing is not None and prompt.test_path not in sources:
            sources = [*sources, prompt.test_path]  # its text is in the prompt too
        eol = textops.detect_eol(old) if old else textops.detect_eol(request.text)

        def shape(code: str) -> tuple[str, list[str]]:
            code = _without_existing(code, old)
            body = textops.with_eol(code.strip("\n") + "\n", eol)
            if not old:
                new = body
            else:
                sep = "" if old.endswith(("\n", "\r")) else eol
                new = old + sep + eol + body
            errors = syntax_problems(old, new, request.language_id)
            return new, [f"syntax error at {e}" for e in errors]

        new_text, attempts = await self._ask_validated(prompt, sources, shape, on_progress)
        edits = [TextEdit(len(old), len(old), new_text[len(old) :])]
        change = FileChange(test_path, existing is not None, old, new_text, edits)
        return RefactorResult(
            request.action,
            start,
            end,
            test_file=change,
            model=self._session.settings.models.chat,
            attempts=attempts,
        )

    async def _ask_validated(
        self,
        prompt: PromptInput,
        sources: list[str],
        shape: Callable[[str], tuple[str, list[str]]],
        on_progress: Progress | None,
    ) -> tuple[str, int]:
        """Ask, extract, validate; on a bad answer ask once more with what was wrong.

        Placeholders of secrets the endpoint redacted are restored from the text that was
        sent before validation.
        """
        messages = build_messages(prompt)
        sent = "\n".join(m["content"] for m in messages)
        problems: list[str] = []
        for attempt in (1, 2):
            answer = await self._chat(messages, sources, on_progress)
            block = extract_code(answer, prompt.language_id, prompt.code)
            if block is None:
                problems = ["the answer had no fenced code block (and was not code alone)"]
            elif not block.code.strip():
                problems = ["the code block was empty"]
            elif not block.closed:
                problems = ["the answer stopped before its code block was closed"]
            else:
                code, problems = restore_redactions(block.code, sent)
                if not problems:
                    new_text, problems = shape(code)
                    if not problems:
                        return new_text, attempt
            log.info("refactor answer refused (attempt %d): %s", attempt, "; ".join(problems))
            messages = [
                *messages,
                {"role": "assistant", "content": answer},
                retry_message(problems),
            ]
        raise InvalidAnswer(
            "Mistral's answer was refused, nothing was changed: " + "; ".join(problems[:3]) + "."
        )

    async def _chat(
        self, messages: list[dict[str, str]], sources: list[str], on_progress: Progress | None
    ) -> str:
        session = self._session
        if session.endpoint is None:
            raise NotAllowed("No Mistral endpoint is configured.")
        settings = session.settings
        received: list[str] = []

        def on_delta(piece: str) -> None:
            received.append(piece)
            if on_progress is not None:
                on_progress("".join(received))

        request = ChatRequest(
            messages=messages,
            max_tokens=settings.refactor.max_tokens,
            sources=sources,
            retry=True,
            model=settings.models.chat,
        )
        try:
            result = await session.endpoint.chat(request, on_delta=on_delta)
        except EndpointError as exc:
            raise RefactorError(f"Mistral could not answer: {exc.reason}") from exc
        return result.text

    # -- context -------------------------------------------------------------------

    def _prompt_input(
        self,
        spec: ActionSpec,
        request: RefactorRequest,
        start: int,
        end: int,
        snippets: list[Snippet],
    ) -> PromptInput:
        diagnostics = "\n".join(d.describe() for d in request.diagnostics)
        return PromptInput(
            spec=spec,
            path=self._relative(request.path) if request.path else "(unsaved)",
            language_id=request.language_id,
            code=request.text[start:end],
            instruction=request.instruction if spec.id == REFACTOR else "",
            diagnostics=diagnostics,
            context=snippets,
        )

    def _context(
        self, request: RefactorRequest, start: int, end: int
    ) -> tuple[list[Snippet], list[str]]:
        """The enclosing scope and the definitions the code uses, via the context assembly."""
        session = self._session
        budget = session.settings.completion.context_tokens  # the code itself comes on top
        index = session.index_for(request.path) if request.path is not None else None
        try:
            builder = ContextBuilder(index, is_excluded=session.is_excluded)
            built = builder.build_for_range(
                path=request.path,
                language_id=request.language_id,
                text=request.text,
                start=start,
                end=end,
                budget_tokens=budget,
            )
        except Exception as exc:  # noqa: BLE001 - context is a nicety, never a failure
            log.debug("range context unavailable (%s); using the enclosing scope only", exc)
            return self._fallback_context(request, start, end, budget), []
        code = request.text[start:end]
        return _snippets_of(built, code), list(getattr(built, "sources", None) or [])

    def _fallback_context(
        self, request: RefactorRequest, start: int, end: int, budget: int
    ) -> list[Snippet]:
        scope = enclosing_definition(request.text, request.language_id, start, end)
        if scope is None or scope == (start, end) or not (scope[0] <= start and end <= scope[1]):
            return []
        text = request.text[scope[0] : scope[1]]
        if count_tokens(text) > budget:
            return []
        return [Snippet("Enclosing scope", text)]

    def _sources(self, path: Path | None, extras: list[str]) -> list[str]:
        """Repository-relative paths whose text is in the prompt (for exclusion and audit)."""
        sources = [self._relative(path)] if path is not None else []
        for extra in extras:
            if extra not in sources:
                sources.append(extra)
        return sources

    # -- files ---------------------------------------------------------------------

    def _root_of(self, path: Path) -> Path | None:
        index = self._session.index_for(path)
        if index is not None:
            return Path(index.root)
        roots = [r for r in self._session.roots if _inside(path, r)]
        return max(roots, key=lambda r: len(str(r)), default=None)

    def _relative(self, path: Path | None) -> str:
        if path is None:
            return ""
        root = self._root_of(path)
        if root is not None and _inside(path, root):
            return path.relative_to(root).as_posix()
        return path.name

    def _current_text(self, path: Path) -> str | None:
        for doc in self._session.documents.all():
            if doc.path == path:
                return doc.text
        return self._read_file(path)


def _snippets_of(built: Any, code: str) -> list[Snippet]:
    """Adapt the context assembly's RangeContext (scope + snippets) to prompt snippets."""
    snippets: list[Snippet] = []
    scope = getattr(built, "scope", None)
    if isinstance(scope, str) and scope.strip() and scope.strip() != code.strip():
        snippets.append(Snippet("Enclosing scope", scope))
    for item in getattr(built, "snippets", None) or []:
        text = getattr(item, "text", None)
        if text:
            kind = getattr(item, "kind", "definition")
            snippets.append(Snippet(f"{kind.capitalize()} from {getattr(item, 'path', '?')}", text))
    return snippets


def _without_existing(code: str, existing: str) -> str:
    """Drop an echo of the existing test file: models asked for new tests sometimes answer
    with the whole file, which appended as is would duplicate every test."""
    old = existing.replace("\r\n", "\n").replace("\r", "\n").strip()
    if old and code.strip().startswith(old):
        return code.strip()[len(old) :]
    return code


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _read_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
