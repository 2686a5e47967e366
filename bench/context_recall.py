"""CrossCodeEval-style recall of the context assembly, no model needed.

    bench/context_recall.py REPO [REPO ...] [--points 200] [--seed 0] [--json]
                            [--placements start,typed,dot]

For sampled completion points whose ground-truth line uses a name defined in ANOTHER file
of the repository (import statements, definitions and comments are not sampled), the
cursor is put after the line's indentation and the file in its "hole" state (everything
from the cursor on is removed, and the index is told so with `update_text`), the real
`ContextBuilder` assembles the context, and we check whether the definition's header line
(e.g. `def send(self, request,`) appears in what would be sent. Reported at 1k, 2k and
4k tokens against two baselines given the same budget: no repository context
(prefix/suffix only), and BM25 over 10-line chunks of the repository with the last 10
lines before the cursor as the query.

Ground truth never comes from our index:
- Python: jedi (`Script.goto(follow_imports=True)`), kept when it lands on a function or
  class in another file of the repository.
- JavaScript/TypeScript: regexes written for this benchmark (not tree-sitter): relative
  `import {a, b as c} / * as ns / default from './x'` statements, path resolution with
  .ts/.js/index fallbacks, `export ... from` followed twice, and top-level
  function/class/interface/enum/arrow-const declarations found by line pattern.
- Go: `pkg.Name` where `pkg` imports a package of the module (go.mod), or a bare `Name`
  declared in another file of the same directory; top-level `func Name` / `type Name`
  found by line pattern, kept only when unique in that package (methods left out).

Code bases used for the figures in the issue (none written by us):
    pip install --no-deps --target /tmp/py requests rich click attrs jinja2 httpcore
        -> REPO = /tmp/py/requests, /tmp/py/rich, /tmp/py/click, /tmp/py/attr, ...
    npm pack rxjs@7 axios && tar xzf ...
        -> REPO = package/src (rxjs, TypeScript), package/lib (axios, JavaScript)
    apt-get download golang-github-pelletier-go-toml.v2-dev && dpkg -x *.deb x
        -> REPO = x/usr/share/gocode/src/github.com/pelletier/go-toml/v2 (Go)

Code bases available offline (the figures in the notes of issue 14): each package copied
under a root of its own, so that `from email import utils` resolves inside it (jedi is
given that root first on its path):
    mkdir -p /tmp/ctx/std_email && cp -r /usr/lib/python3.11/email /tmp/ctx/std_email/
    mkdir -p /tmp/ctx/sp_cattrs && cp -r $SITE_PACKAGES/cattrs /tmp/ctx/sp_cattrs/
    -> bench/context_recall.py /tmp/ctx/std_email /tmp/ctx/sp_cattrs ... --points 60
Tuned on: email json http importlib unittest (stdlib), pygls cattrs jedi _pytest hypothesis;
held out: asyncio xml logging multiprocessing concurrent urllib (stdlib), httpx2 pathspec
pydantic pygments requests urllib3 mypy jsonschema pluggy referencing.

Cursor placements (`--placements`): "start" before the call or name, nothing of it typed
(`total = |pricing.compute_total(cart)`); "typed" after two characters of the name
(`pricing.co|`); "dot" right after the receiver's dot, for points that have one; "line"
after the indentation. With several repositories, a table per repository and pooled.

The assembly runs with no recently edited files (the similar-code source stays empty), as
in CrossCodeEval. Latency is the wall time of `ContextBuilder.build` at the 2k budget:
"cold" with the cross-assembly cache of index answers cleared first, "repeat" the same
assembly again (the next keystroke), and the figure in the table as measured in the recall
loop (after the two, i.e. warm).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsp_server.context import ContextBuilder, count_tokens, tokenizer_name, warm_up  # noqa: E402
from lsp_server.context.budget import cut_prefix  # noqa: E402
from lsp_server.context.builder import PREFIX_SHARE, SAFETY  # noqa: E402
from lsp_server.context.render import header  # noqa: E402
from lsp_server.context.view import clear_shared_cache  # noqa: E402
from lsp_server.index.languages import language_for_path  # noqa: E402
from lsp_server.index.repo_index import IndexOptions, RepoIndex  # noqa: E402

BUDGETS = (1000, 2000, 4000)
#: Where the cursor is put on the ground-truth line (everything from it on is removed):
#: "start" before the call (`total = |pricing.compute_total(cart)`), "typed" after two
#: characters of the name (`pricing.co|`), "dot" right after the receiver's `.` (only for
#: points that have one), "line" after the indentation (the older placement).
PLACEMENTS = ("start", "typed", "dot", "line")
TYPED = 2
_CHAIN = re.compile(r"(?:[A-Za-z_$][\w$]*\s*\.\s*)+$")
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_SKIP_LINE = re.compile(
    r"^\s*(?:$|#|//|/\*|\*|import\b|from\s+\S+\s+import\b|package\b|export\s+\*|"
    r"def\s|class\s|async\s+def\s|func\s|function\s|type\s|interface\s|@)"
)
_SKIP_DIRS = {"node_modules", "dist", "build", "test", "tests", "testdata", "__pycache__"}


@dataclass
class Point:
    path: Path  # absolute
    rel: str
    line: int  # 0-based line whose text is the ground truth
    column: int  # cursor column (after the indentation)
    name: str
    target: str  # repo-relative file of the definition
    header_line: str  # the definition's first source line, stripped
    name_column: int = -1  # where the name starts in the line (-1: unknown)

    def cursor(self, line: str, placement: str) -> int:
        """The cursor column for a placement (see PLACEMENTS)."""
        if placement == "line" or self.name_column < 0:
            return self.column
        if placement == "typed":
            return self.name_column + min(TYPED, len(self.name))
        chain = _CHAIN.search(line[: self.name_column])
        start = chain.start() if chain else self.name_column
        if placement == "dot":
            return self.name_column if chain and chain.group() else -1
        return start  # "start": before the receiver chain (`pricing.compute_total`)


# ---------------------------------------------------------------------------------------
# repository files


def _point(
    root: Path,
    path: Path,
    index: int,
    line: str,
    name: str,
    target: Path,
    header: str,
    name_column: int = -1,
) -> Point:
    """A completion point on `line`, whose truth is `header` in `target`."""
    column = len(line) - len(line.lstrip())
    rel = path.relative_to(root).as_posix()
    target_rel = target.relative_to(root).as_posix()
    return Point(path, rel, index, column, name, target_rel, header, name_column)


def source_files(root: Path, languages: set[str]) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or any(part in _SKIP_DIRS for part in path.relative_to(root).parts):
            continue
        if path.name.endswith((".d.ts", ".min.js")) or path.name.endswith("_test.go"):
            continue
        spec = language_for_path(path)
        if spec is not None and spec.id in languages and path.stat().st_size < 400_000:
            out.append(path)
    return out


def detect_languages(root: Path) -> set[str]:
    counts: Counter[str] = Counter()
    for path in root.rglob("*"):
        spec = language_for_path(path) if path.is_file() else None
        if spec is not None and "node_modules" not in path.parts:
            counts[spec.id] += 1
    if not counts:
        sys.exit(f"no source files under {root}")
    top = counts.most_common(1)[0][0]
    if top in ("javascript", "typescript", "tsx"):
        return {"javascript", "typescript", "tsx"}
    return {top}


_JS_IMPORT_SPAN = re.compile(
    r"^\s*(?:import|export)\b[^;]*?\bfrom\s*['\"][^'\"]+['\"]", re.M | re.S
)
_GO_IMPORT_SPAN = re.compile(r"^import\s*\((?:.|\n)*?^\)", re.M)


def import_lines(text: str, python: bool) -> set[int]:
    """Lines inside import statements: completing those is not what we measure."""
    lines: set[int] = set()
    if python:
        import ast

        try:
            tree = ast.parse(text)
        except SyntaxError:
            return lines
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                lines.update(range(node.lineno - 1, (node.end_lineno or node.lineno)))
        return lines
    for pattern in (_JS_IMPORT_SPAN, _GO_IMPORT_SPAN):
        for match in pattern.finditer(text):
            first = text.count("\n", 0, match.start())
            lines.update(range(first, first + match.group().count("\n") + 1))
    return lines


def candidate_lines(text: str, python: bool = False) -> list[int]:
    lines = text.split("\n")
    skip = import_lines(text, python)
    return [
        i for i, line in enumerate(lines) if i > 3 and i not in skip and not _SKIP_LINE.match(line)
    ]


# ---------------------------------------------------------------------------------------
# ground truth: jedi for Python


def python_points(root: Path, files: list[Path], wanted: int, rng: random.Random) -> list[Point]:
    import jedi

    # the copy under ROOT first: a stdlib or installed package must resolve to itself there
    sys_path = [str(root), *(p for p in sys.path if p and Path(p).resolve() != root)]
    project = jedi.Project(
        str(root), sys_path=sys_path, smart_sys_path=False, load_unsafe_extensions=False
    )
    order = [(f, i) for f in files for i in candidate_lines(f.read_text(errors="replace"), True)]
    rng.shuffle(order)
    scripts: dict[Path, jedi.Script] = {}
    texts: dict[Path, list[str]] = {}
    points: list[Point] = []
    calls = 0
    for path, index in order:
        if len(points) >= wanted or calls > wanted * 40:
            break
        if path not in scripts:
            code = path.read_text(errors="replace")
            texts[path] = code.split("\n")
            scripts[path] = jedi.Script(code=code, path=str(path), project=project)
        line = texts[path][index]
        for match in _IDENT.finditer(line):
            name = match.group()
            if name in ("self", "cls", "None", "True", "False", "return", "if", "not"):
                continue
            calls += 1
            try:
                found = scripts[path].goto(index + 1, match.start(), follow_imports=True)
            except Exception:  # noqa: BLE001 - jedi may fail on odd code; skip the name
                continue
            hit = next((d for d in found if d.type in ("function", "class")), None)
            if hit is None or hit.module_path is None or hit.line is None:
                continue
            target = Path(hit.module_path)
            if target == path or not target.is_relative_to(root) or target.suffix != ".py":
                continue
            header_line = target.read_text(errors="replace").split("\n")[hit.line - 1].strip()
            if not header_line.startswith(("def ", "class ", "async def ")):
                continue
            points.append(_point(root, path, index, line, name, target, header_line, match.start()))
            break
    return points


# ---------------------------------------------------------------------------------------
# ground truth: a regex definition finder for JS/TS and Go (independent of tree-sitter)

_JS_DEFS = [
    re.compile(
        r"^\s*(?:export\s+)?(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)"
    ),
    re.compile(r"^\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+([A-Za-z_$][\w$]*)"),
    re.compile(r"^\s*(?:export\s+)?(?:declare\s+)?(?:interface|enum)\s+([A-Za-z_$][\w$]*)"),
    re.compile(
        r"^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*"
        r"(?:async\s+)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[A-Za-z_$][\w$]*\s*=>)"
    ),
    re.compile(
        r"^\s+(?:(?:public|private|protected|static|async|readonly|override|get|set)\s+)*"
        r"([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\([^;]*\)\s*(?::\s*[^;{]+)?\{\s*$"
    ),
]
_GO_DEFS = [
    re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"),
    re.compile(r"^type\s+([A-Za-z_]\w*)"),
]
_NOT_NAMES = {"if", "for", "while", "switch", "catch", "function", "return", "constructor",
              "super", "new", "typeof", "with", "else", "do", "try"}  # fmt: skip


def regex_definitions(files: list[Path], language: str) -> dict[str, list[tuple[Path, int, str]]]:
    patterns = _GO_DEFS if language == "go" else _JS_DEFS
    found: dict[str, list[tuple[Path, int, str]]] = defaultdict(list)
    for path in files:
        for number, line in enumerate(path.read_text(errors="replace").split("\n")):
            for pattern in patterns:
                match = pattern.match(line)
                if match and match.group(1) not in _NOT_NAMES:
                    found[match.group(1)].append((path, number, line.strip()))
                    break
    return found


_JS_IMPORT = re.compile(
    r"import\s+(?:type\s+)?(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s+as\s+([\w$]+))?\s*"
    r"from\s*['\"](\.[^'\"]+)['\"]"
)
_JS_REEXPORT = re.compile(r"export\s+(?:\*|\{([^}]*)\})\s+from\s*['\"](\.[^'\"]+)['\"]")
_GO_IMPORT = re.compile(r'^\s*(?:import\s+)?([\w.]+\s+)?"([^"]+)"\s*$', re.M)
_GO_FUNC_OR_TYPE = re.compile(r"^(?:func\s+([A-Za-z_]\w*)|type\s+([A-Za-z_]\w*))")


def _js_file(base: Path, module: str) -> Path | None:
    target = (base / module).resolve()
    stem = target.with_suffix("") if target.suffix in (".js", ".mjs", ".cjs") else target
    for candidate in (
        target, stem.with_suffix(".ts"), stem.with_suffix(".tsx"), stem.with_suffix(".js"),
        stem / "index.ts", stem / "index.js",
    ):  # fmt: skip
        if candidate.is_file():
            return candidate
    return None


def _js_defs_in(path: Path, name: str, depth: int = 0) -> tuple[Path, str] | None:
    """The header line defining `name` in `path` (following `export ... from` once)."""
    text = path.read_text(errors="replace")
    for line in text.split("\n"):
        for pattern in _JS_DEFS[:4]:  # top-level forms only, not class methods
            match = pattern.match(line)
            if match and match.group(1) == name and not line.startswith((" ", "\t")):
                return path, line.strip()
    if depth < 2:
        for match in _JS_REEXPORT.finditer(text):
            names = match.group(1)
            if names is None or re.search(rf"\b{re.escape(name)}\b", names):
                other = _js_file(path.parent, match.group(2))
                found = _js_defs_in(other, name, depth + 1) if other else None
                if found:
                    return found
    return None


def js_bindings(path: Path, text: str) -> dict[str, tuple[Path, str | None]]:
    """Local name -> (file, exported name or None for a namespace import)."""
    out: dict[str, tuple[Path, str | None]] = {}
    for match in _JS_IMPORT.finditer(text):
        target = _js_file(path.parent, match.group(4))
        if target is None:
            continue
        if match.group(1):
            out[match.group(1)] = (target, match.group(1))
        if match.group(3):
            out[match.group(3)] = (target, None)
        for item in (match.group(2) or "").split(","):
            item = re.sub(r"^\s*type\s+", "", item).strip()
            if not item:
                continue
            original, _, alias = item.partition(" as ")
            out[(alias or original).strip()] = (target, original.strip())
    return out


def go_package_defs(files: list[Path]) -> dict[Path, dict[str, list[tuple[Path, str]]]]:
    """Directory -> top-level func/type name -> [(file, header line)] (methods left out)."""
    out: dict[Path, dict[str, list[tuple[Path, str]]]] = defaultdict(lambda: defaultdict(list))
    for path in files:
        for line in path.read_text(errors="replace").split("\n"):
            match = _GO_FUNC_OR_TYPE.match(line)
            if match:
                out[path.parent][match.group(1) or match.group(2)].append((path, line.strip()))
    return out


def regex_points(
    root: Path, files: list[Path], language: str, wanted: int, rng: random.Random
) -> list[Point]:
    go_defs = go_package_defs(files) if language == "go" else {}
    module_path = ""
    if language == "go" and (root / "go.mod").is_file():
        found = re.search(r"^module\s+(\S+)", (root / "go.mod").read_text(), re.M)
        module_path = found.group(1) if found else ""
    order = [(f, i) for f in files for i in candidate_lines(f.read_text(errors="replace"))]
    rng.shuffle(order)
    texts: dict[Path, list[str]] = {}
    bindings: dict[Path, dict] = {}
    points: list[Point] = []
    for path, index in order:
        if len(points) >= wanted:
            break
        if path not in texts:
            text = path.read_text(errors="replace")
            texts[path] = text.split("\n")
            if language == "go":
                packages: dict = {}
                for match in _GO_IMPORT.finditer(text):
                    imported = match.group(2)
                    if module_path and imported.startswith(module_path + "/"):
                        directory = root / imported[len(module_path) + 1 :]
                        alias = (match.group(1) or "").strip() or directory.name
                        packages[alias] = directory
                bindings[path] = packages
            else:
                bindings[path] = js_bindings(path, text)
        line = texts[path][index]
        if any(p.match(line) for p in (_GO_DEFS if language == "go" else _JS_DEFS)):
            continue
        clean = re.sub(r"(['\"`]).*?\1", '""', line)
        hit: tuple[str, Path, str] | None = None
        name_column = -1
        for match in re.finditer(r"(?:([\w$]+)\.)?([A-Za-z_$][\w$]*)", clean):
            qualifier, name = match.group(1), match.group(2)
            if language == "go":
                if qualifier and qualifier in bindings[path]:
                    found = go_defs.get(bindings[path][qualifier], {}).get(name, [])
                elif qualifier is None:
                    found = [d for d in go_defs.get(path.parent, {}).get(name, []) if d[0] != path]
                else:
                    continue
                if len(found) == 1:
                    hit = (name, found[0][0], found[0][1])
            else:
                binding = bindings[path].get(qualifier) if qualifier else None
                if qualifier and binding and binding[1] is None:
                    result = _js_defs_in(binding[0], name)
                elif qualifier is None and name in bindings[path]:
                    target, original = bindings[path][name]
                    result = _js_defs_in(target, original) if original else None
                else:
                    continue
                if result and result[0] != path:
                    hit = (name, result[0], result[1])
            if hit:
                name_column = match.start(2) if clean == line else line.find(match.group(0))
                if name_column >= 0 and match.group(1):
                    name_column += len(match.group(0)) - len(match.group(2))
                break
        if hit is None:
            continue
        name, target, header_line = hit
        points.append(_point(root, path, index, line, name, target, header_line, name_column))
    return points


# ---------------------------------------------------------------------------------------
# BM25 baseline


class BM25:
    """Okapi BM25 (k1=1.2, b=0.75) over 10-line chunks of every file."""

    def __init__(self, root: Path, files: list[Path], chunk_lines: int = 10) -> None:
        self.chunks: list[tuple[str, str, Counter[str]]] = []
        for path in files:
            lines = path.read_text(errors="replace").split("\n")
            rel = path.relative_to(root).as_posix()
            for start in range(0, len(lines), chunk_lines):
                text = "\n".join(lines[start : start + chunk_lines])
                terms = Counter(_IDENT.findall(text))
                if terms:
                    self.chunks.append((rel, text, terms))
        self.avg = sum(sum(c[2].values()) for c in self.chunks) / max(1, len(self.chunks))
        df: Counter[str] = Counter()
        for _rel, _text, terms in self.chunks:
            df.update(terms.keys())
        n = len(self.chunks)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, (_rel, _text, terms) in enumerate(self.chunks):
            for term in terms:
                self.postings[term].append(i)

    def top(self, query: str, exclude: str, k: int = 60) -> list[tuple[str, str]]:
        scores: dict[int, float] = defaultdict(float)
        for term in set(_IDENT.findall(query)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i in self.postings[term]:
                rel, _text, terms = self.chunks[i]
                if rel == exclude:
                    continue
                f = terms[term]
                length = sum(terms.values())
                scores[i] += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * length / self.avg))
        best = sorted(scores, key=lambda i: -scores[i])[:k]
        return [(self.chunks[i][0], self.chunks[i][1]) for i in best]


def baseline_context(
    lines: list[str], budget: int, comment: str, chunks: list[tuple[str, str]]
) -> str:
    """Same shares as the real assembly; the snippet room filled with chunks, best first."""
    budget = int(budget * SAFETY)
    first, used = cut_prefix(lines, int(budget * PREFIX_SHARE))
    room = budget - used
    picked: list[str] = []
    for rel, text in chunks:
        cost = count_tokens(header(rel, comment)) + count_tokens(text) + 2
        if cost <= room:
            picked.append(header(rel, comment) + text + "\n")
            room -= cost
    first, used = cut_prefix(lines, used + max(0, room))
    return "".join(reversed(picked)) + "\n".join(lines[first:])


def plain_context(lines: list[str], budget: int) -> str:
    first, _used = cut_prefix(lines, int(budget * SAFETY))
    return "\n".join(lines[first:])


# ---------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def run(
    root: Path, points_wanted: int, seed: int, placements: tuple[str, ...] = PLACEMENTS[:3]
) -> dict:
    root = root.resolve()
    rng = random.Random(seed)
    warm_up(background=False)
    languages = detect_languages(root)
    files = source_files(root, languages)
    with tempfile.TemporaryDirectory() as cache:
        index = RepoIndex(root, IndexOptions(cache_dir=Path(cache)))
        started = time.perf_counter()
        stats = index.build()
        index_seconds = time.perf_counter() - started
        language = sorted(languages)[0] if len(languages) == 1 else "javascript/typescript"
        started = time.perf_counter()
        if languages == {"python"}:
            points = python_points(root, files, points_wanted, rng)
        else:
            points = regex_points(
                root, files, "go" if "go" in languages else "js", points_wanted, rng
            )
        truth_seconds = time.perf_counter() - started
        bm25 = BM25(root, files)
        builder = ContextBuilder(index, is_excluded=lambda _p: False)
        hits = {p: {b: {"ours": 0, "none": 0, "bm25": 0} for b in BUDGETS} for p in placements}
        counted = dict.fromkeys(placements, 0)
        over_budget = 0
        latencies: list[float] = []
        cpu_times: list[float] = []  # CPU time of the thread: robust to a busy machine
        cold: list[float] = []
        warm: list[float] = []
        misses: list[dict] = []
        for point in points:
            original = point.path.read_text(errors="replace").split("\n")
            spec = language_for_path(point.path)
            comment = spec.line_comment if spec else "#"
            language_id = spec.id if spec else None
            for placement in placements:
                column = point.cursor(original[point.line], placement)
                if column < 0:
                    continue
                counted[placement] += 1
                hole = "\n".join(original[: point.line] + [original[point.line][:column]])
                index.update_text(point.path, hole)
                lines = hole.split("\n")
                chunks = bm25.top("\n".join(lines[-10:]), point.rel)
                if placement == placements[0]:
                    # latency: a cold assembly (no index answers cached) and the same one
                    # repeated, as on the next keystroke
                    clear_shared_cache()
                    for repeat in (False, True):
                        t0 = time.perf_counter()
                        builder.build(
                            path=point.path,
                            language_id=language_id,
                            text=hole,
                            offset=len(hole),
                            budget_tokens=2000,
                        )
                        (warm if repeat else cold).append((time.perf_counter() - t0) * 1000)
                for budget in BUDGETS:
                    t0 = time.perf_counter()
                    c0 = time.thread_time()
                    context = builder.build(
                        path=point.path,
                        language_id=language_id,
                        text=hole,
                        offset=len(hole),
                        budget_tokens=budget,
                    )
                    elapsed = (time.perf_counter() - t0) * 1000
                    cpu = (time.thread_time() - c0) * 1000
                    if budget == 2000 and placement == placements[0]:
                        latencies.append(elapsed)
                        cpu_times.append(cpu)
                    if count_tokens(context.prefix) + count_tokens(context.suffix) > budget:
                        over_budget += 1
                    found = point.header_line in context.prefix + context.suffix
                    row = hits[placement][budget]
                    row["ours"] += found
                    if not found and budget == 2000 and len(misses) < 30:
                        miss = {"at": placement, "file": point.rel, "line": point.line + 1}
                        misses.append(
                            miss
                            | {"name": point.name, "target": point.target}
                            | {"header": point.header_line}
                        )
                    row["none"] += point.header_line in plain_context(lines, budget)
                    row["bm25"] += point.header_line in baseline_context(
                        lines, budget, comment, chunks
                    )
            index.close_text(point.path)
        index.close()
    recall = {
        p: {
            str(b): {k: round(v / max(1, counted[p]), 3) for k, v in hits[p][b].items()}
            for b in BUDGETS
        }
        for p in placements
    }
    return {
        "repo": str(root),
        "language": language,
        "files": stats.files,
        "symbols": stats.symbols,
        "index_seconds": round(index_seconds, 2),
        "ground_truth": "jedi" if languages == {"python"} else "regex imports + definitions",
        "ground_truth_seconds": round(truth_seconds, 1),
        "points": len(points),
        "points_per_placement": counted,
        "tokenizer": tokenizer_name(),
        "recall": recall,
        "assembly_ms_p50": round(percentile(latencies, 50), 2),
        "assembly_ms_p95": round(percentile(latencies, 95), 2),
        "assembly_cpu_ms_p50": round(percentile(cpu_times, 50), 2),
        "assembly_cpu_ms_p95": round(percentile(cpu_times, 95), 2),
        "assembly_cold_ms_p50": round(percentile(cold, 50), 2),
        "assembly_cold_ms_p95": round(percentile(cold, 95), 2),
        "assembly_repeat_ms_p50": round(percentile(warm, 50), 2),
        "assembly_repeat_ms_p95": round(percentile(warm, 95), 2),
        "over_budget": over_budget,
        "misses_at_2k": misses,
    }


def summary(results: list[dict]) -> str:
    """One row per repository and a pooled row: recall per placement at each budget."""
    placements = list(results[0]["recall"]) if results else []
    head = f"{'repository':<22} {'n':>4}"
    for placement in placements:
        for budget in BUDGETS:
            head += f" {placement[:5] + '@' + str(budget // 1000) + 'k':>9}"
    head += "   (ours/bm25, start@2k none)"
    rows = [head]
    pooled: dict[str, dict[str, list[float]]] = {}
    for result in results:
        row = f"{Path(result['repo']).name[:22]:<22} {result['points']:>4}"
        for placement in placements:
            for budget in BUDGETS:
                cell = result["recall"][placement][str(budget)]
                n = result["points_per_placement"][placement]
                entry = pooled.setdefault(f"{placement}{budget}", {"ours": [], "bm25": [], "n": []})
                entry["ours"].append(cell["ours"] * n)
                entry["bm25"].append(cell["bm25"] * n)
                entry["n"].append(n)
                row += f" {cell['ours']:.2f}/{cell['bm25']:.2f}"
        if placements:
            row += f"   {result['recall'][placements[0]]['2000']['none']:.2f}"
        rows.append(row)
    row = f"{'pooled':<22} {sum(r['points'] for r in results):>4}"
    for placement in placements:
        for budget in BUDGETS:
            entry = pooled[f"{placement}{budget}"]
            n = max(1.0, sum(entry["n"]))
            row += f" {sum(entry['ours']) / n:.2f}/{sum(entry['bm25']) / n:.2f}"
    rows.append(row)
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path, nargs="+")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--placements",
        default="start,typed,dot",
        help=f"comma-separated cursor placements among {', '.join(PLACEMENTS)}",
    )
    parser.add_argument(
        "--prefix-share", type=float, help="override the prefix's reserved share (a sweep)"
    )
    args = parser.parse_args()
    if args.prefix_share is not None:
        import lsp_server.context.builder as builder_module

        builder_module.PREFIX_SHARE = args.prefix_share
        globals()["PREFIX_SHARE"] = args.prefix_share
    placements = tuple(p for p in args.placements.split(",") if p in PLACEMENTS)
    results = []
    for repo in args.repo:
        result = run(repo, args.points, args.seed, placements or PLACEMENTS[:1])
        results.append(result)
        if not args.json:
            report(result)
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    elif len(results) > 1:
        print(summary(results))


def report(result: dict) -> None:
    print(f"{result['repo']} ({result['language']}, {result['files']} files, "
          f"{result['points']} points, truth: {result['ground_truth']})")  # fmt: skip
    print(f"{'placement':>9} {'n':>4} {'budget':>6} {'ours':>6} {'bm25':>6} {'none':>6}")
    for placement, rows in result["recall"].items():
        n = result["points_per_placement"][placement]
        for budget, row in rows.items():
            print(f"{placement:>9} {n:>4} {budget:>6} "
                  f"{row['ours']:>6.3f} {row['bm25']:>6.3f} {row['none']:>6.3f}")  # fmt: skip
    print(f"assembly p50 {result['assembly_ms_p50']} ms, p95 {result['assembly_ms_p95']} ms "
          f"(CPU p50 {result['assembly_cpu_ms_p50']} ms, p95 {result['assembly_cpu_ms_p95']} ms); "
          f"cold p50 {result['assembly_cold_ms_p50']} ms, p95 {result['assembly_cold_ms_p95']} ms; "
          f"repeat p50 {result['assembly_repeat_ms_p50']} ms; "
          f"over budget: {result['over_budget']}")  # fmt: skip
    for miss in result["misses_at_2k"][:8]:
        print("  miss:", miss)


if __name__ == "__main__":
    main()
