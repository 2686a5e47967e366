"""CrossCodeEval-style recall of the context assembly, no model needed.

    bench/context_recall.py REPO [REPO ...] [--points 200] [--seed 0] [--json]
                            [--placements start,typed,dot] [--budgets 1000,2000,4000]
                            [--determinism N]
    bench/context_recall.py --summarize RUN.json [RUN.json ...]
    bench/context_recall.py --compare RUN_A.json RUN_B.json   # e.g. two PYTHONHASHSEEDs

For sampled completion points whose ground-truth line uses a name defined in ANOTHER file
of the repository (import statements, definitions and comments are not sampled), the
cursor is put after the line's indentation and the file in its "hole" state (everything
from the cursor on is removed, and the index is told so with `update_text`), the real
`ContextBuilder` assembles the context, and we check whether the definition's header line
(e.g. `def send(self, request,`) appears in what would be sent. Reported at 1k, 2k and
4k tokens against two baselines given the same budget: no repository context
(prefix/suffix only), and BM25 over 10-line chunks of the repository with the last 10
lines before the cursor as the query.

Ground truth never comes from our index (bench/recall_truth.py):
- Python: jedi (`Script.goto(follow_imports=True)`), kept when it lands on a function or
  class in another file of the repository (ROOT/src first on jedi's path when it exists);
  its `@overload` signatures count as shown too.
- JavaScript/TypeScript: regexes written for this benchmark (not tree-sitter): relative
  `import {a, b as c} / * as ns / default from './x'` statements, path resolution with
  .ts/.js/index fallbacks, `export ... from` followed twice, and top-level
  function/class/interface/enum/arrow-const declarations found by line pattern.
- Go: `pkg.Name` where `pkg` imports a package of the module (go.mod), or a bare `Name`
  declared in another file of the same directory; top-level `func Name` / `type Name`
  found by line pattern, kept only when unique in that package (methods left out).
- Rust: files under src/ mapped to module paths (`a/b.rs`, `a/b/mod.rs` -> crate::a::b);
  `use` trees (`crate::`, `self::`, `super::`, braces, `as`, globs) and `mod x;` bind
  names; a used path (`Name`, `module::func(`, `crate::a::f(`) resolves to a top-level
  fn/struct/enum/trait/type at column 0 of the module's file, `pub use` re-exports followed;
  `Type::method(` to `fn method` in an inherent `impl Type` block of the type's file or in
  the trait's body (else the type's header: `Enum::Variant`); tests.rs files not sampled.
- Java: `package` + top-level type declarations give fully qualified names; single-type,
  on-demand (`.*`) and static imports and the file's own package bind simple names;
  `Type.member(` resolves to the first declaration of `member` in the type's file (else
  the type's header), a bare type to its header, a statically imported name to its method;
  any overload of a method counts as shown.

The code bases of issue 14's own benchmark (none seen before it; 23 Python, 12 TS/JS,
7 Go, 7 Rust, 4 Java), pinned and fetched by bench/fetch_corpora.py, and 18 held out from
tuning (`--held-out`: 8 Python, 2 Go, 3 TS/JS, 3 Rust, 2 Java):
    bench/fetch_corpora.py /tmp/corpora > /tmp/roots.txt
    bench/context_recall.py $(cat /tmp/roots.txt) --points 40 --budgets 2000 \
        --determinism 3 --json > all.json    # or one root per run, then:
    bench/context_recall.py --summarize /tmp/recall_runs/*.json

Code bases of the earlier figures (do not reuse for generalization):
    pip install --no-deps --target /tmp/py requests rich click attrs jinja2 httpcore
    npm pack rxjs@7 axios; apt-get download golang-github-pelletier-go-toml.v2-dev
    stdlib copies: mkdir -p /tmp/ctx/std_email && cp -r /usr/lib/python3.11/email ...
Tuned on: email json http importlib unittest (stdlib), pygls cattrs jedi _pytest hypothesis;
held out: asyncio xml logging multiprocessing concurrent urllib (stdlib), httpx2 pathspec
pydantic pygments requests urllib3 mypy jsonschema pluggy referencing.

Prompt checks on every assembly: prompts holding one snippet (or one definition header
of a file) twice; prompts holding a test file's snippet when the edited file is not a
test. `--determinism N` assembles each "start" point N times cold (every cache of
lsp_server.context/index cleared, a new ContextBuilder) and once warm, and counts the
points whose prompts differ.

Cursor placements (`--placements`): "start" before the call or name, nothing of it typed
(`total = |pricing.compute_total(cart)`); "typed" after two characters of the name
(`pricing.co|`); "dot" right after the receiver's dot, for points that have one; "line"
after the indentation. With several repositories, a table per repository and pooled.

The assembly runs with no recently edited files (the similar-code source stays empty), as
in CrossCodeEval. Latency is the wall and CPU time of `ContextBuilder.build` alone (the
prompt checks are not timed) at the 2k budget: "cold" with the cross-assembly caches of
index answers and of files' clean scans cleared first, "repeat" the same assembly again
(the next keystroke), and the figure in the table as measured in the recall loop (after the
two, i.e. warm). The heap left by the set-up is frozen first, as the server freezes its own
once ready, and the index keeps its definitions in memory, as the server's does
(`IndexOptions.definitions_in_memory`; cold clears none of it: it is the index, not answers).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
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

from bench.recall_truth import (  # noqa: E402
    PLACEMENTS,
    Point,
    detect_languages,
    is_test_path,
    points_for,
    source_files,
)
from lsp_server.context import ContextBuilder, count_tokens, tokenizer_name, warm_up  # noqa: E402
from lsp_server.context.budget import cut_prefix  # noqa: E402
from lsp_server.context.builder import PREFIX_SHARE, SAFETY  # noqa: E402
from lsp_server.context.gc_pause import raise_young_threshold  # noqa: E402
from lsp_server.context.redact import forget_files  # noqa: E402
from lsp_server.context.render import header  # noqa: E402
from lsp_server.context.types import CompletionContext  # noqa: E402
from lsp_server.context.view import clear_shared_cache  # noqa: E402
from lsp_server.index.languages import language_for_path  # noqa: E402
from lsp_server.index.repo_index import IndexOptions, RepoIndex  # noqa: E402

BUDGETS = (1000, 2000, 4000)
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")


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


def clear_caches(index: RepoIndex) -> None:
    """Forget every cache of the assembly and the index answers it asked (a cold start)."""
    clear_shared_cache()
    forget_files()
    for name, module in list(sys.modules.items()):
        if not name.startswith(("lsp_server.context", "lsp_server.index")):
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
        cache = vars(module).get("_cache")
        if isinstance(cache, (dict, list)):
            cache.clear()
    for value in vars(index).values():
        if isinstance(value, dict) and value and "cache" in repr(type(value)).lower():
            value.clear()
    refs = getattr(index, "_refs_cache", None)
    if isinstance(refs, dict):
        refs.clear()


_HEADER_LINE = re.compile(
    r"^\s*(?:export\s+)?(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:def|class|function|func|fn|"
    r"struct|enum|trait|interface|type|impl|public|private|protected)\b"
)


def _header_key(line: str) -> str:
    """A definition header as a skeleton or a body shows it (`def f(x): ...`, `f() { … }`,
    `def f(x):` and `f() {` are one header)."""
    return re.sub(r"[\s{}…:.;]+$", "", line.strip())


def _flat(text: str) -> str:
    """Text without blanks and commas: a signature written over several lines (trailing
    comma and all) compares equal to the one line a prompt shows it in."""
    return re.sub(r"[\s,]+", "", text)


def repeated_snippet(context: CompletionContext, root: Path) -> str | None:
    """A snippet, or a definition header, that a prompt holds more often than its file does."""
    seen: set[tuple[str, str]] = set()
    shown: Counter[tuple[str, str]] = Counter()
    for snippet in context.snippets:
        key = (snippet.path, snippet.text.strip())
        if key in seen:
            return f"{snippet.path}: snippet twice: {snippet.text.strip().split(chr(10))[0][:80]}"
        seen.add(key)
        for line in snippet.text.split("\n"):
            if _HEADER_LINE.match(line) and len(line.strip()) > 8:
                shown[(snippet.path, _header_key(line))] += 1
    for (path, line), count in shown.items():
        if count > 1:
            source = _flat((root / path).read_text(errors="replace"))
            if count > source.count(_flat(line)):
                return f"{path}: header {count} times: {line[:80]}"
    return None


def test_snippets(context: CompletionContext, rel: str) -> list[str]:
    """Test files in the prompt of a file that is not a test."""
    if is_test_path(rel):
        return []
    return sorted({s.path for s in context.snippets if is_test_path(s.path)})


@dataclass
class Assembler:
    """The real assembly for one repository, with the checks made on every prompt."""

    index: RepoIndex
    builder: ContextBuilder
    duplicates: list[str]
    tests: list[str]
    prompts: int = 0

    def build(self, point: Point, hole: str, budget: int) -> CompletionContext:
        context = self.assemble(point, hole, budget)
        self.check(point, context)
        return context

    def assemble(self, point: Point, hole: str, budget: int) -> CompletionContext:
        """The assembly alone (what is timed)."""
        spec = language_for_path(point.path)
        return self.builder.build(
            path=point.path,
            language_id=spec.id if spec else None,
            text=hole,
            offset=len(hole),
            budget_tokens=budget,
        )

    def check(self, point: Point, context: CompletionContext) -> None:
        """The prompt checks: a snippet or header twice, test files."""
        self.prompts += 1
        repeated = repeated_snippet(context, self.index.root)
        if repeated:
            self.duplicates.append(f"{point.rel}:{point.line + 1} {repeated}")
        tests = test_snippets(context, point.rel)
        if tests:
            self.tests.append(f"{point.rel}:{point.line + 1} {', '.join(tests)}")
        return context

    def distinct_prompts(self, point: Point, hole: str, times: int) -> int:
        """How many different prompts `times` cold assemblies and a warm one gave."""
        prompts = set()
        for _ in range(times):
            clear_caches(self.index)
            builder = ContextBuilder(self.index, is_excluded=lambda _p: False)
            context = Assembler(self.index, builder, [], []).build(point, hole, 2000)
            prompts.add(context.prefix + "\x00" + context.suffix)
        context = self.build(point, hole, 2000)  # warm: the caches of the runs above
        prompts.add(context.prefix + "\x00" + context.suffix)
        return len(prompts)


def run(
    root: Path,
    points_wanted: int,
    seed: int,
    placements: tuple[str, ...] = PLACEMENTS[:3],
    budgets: tuple[int, ...] = BUDGETS,
    determinism: int = 0,
) -> dict:
    root = root.resolve()
    rng = random.Random(seed)
    warm_up(background=False)
    languages = detect_languages(root)
    files = source_files(root, languages)
    with tempfile.TemporaryDirectory() as cache:
        # as the language server keeps it (`definitions_in_memory`: see index/defs_memory.py)
        index = RepoIndex(root, IndexOptions(cache_dir=Path(cache), definitions_in_memory=True))
        started = time.perf_counter()
        stats = index.build()
        index_seconds = time.perf_counter() - started
        language = sorted(languages)[0] if len(languages) == 1 else "javascript/typescript"
        started = time.perf_counter()
        points, truth = points_for(root, files, languages, points_wanted, rng)
        truth_seconds = time.perf_counter() - started
        bm25 = BM25(root, files)
        builder = ContextBuilder(index, is_excluded=lambda _p: False)
        assembler = Assembler(index, builder, [], [])
        gc.collect()  # as the server does once ready (server.settle_heap): the set-up's
        gc.freeze()  # objects are not walked again by every collection during assemblies,
        raise_young_threshold()  # and the young generation is sized for assemblies
        hits = {p: {b: {"ours": 0, "none": 0, "bm25": 0} for b in budgets} for p in placements}
        counted = dict.fromkeys(placements, 0)
        over_budget = 0
        latencies: list[float] = []
        cpu_times: list[float] = []  # CPU time of the thread: robust to a busy machine
        cold: list[float] = []
        cold_cpu: list[float] = []
        warm: list[float] = []
        misses: list[dict] = []
        unstable: list[str] = []
        digests: dict[str, str] = {}  # point -> prompt digest, to compare across processes
        for point in points:
            original = point.path.read_text(errors="replace").split("\n")
            spec = language_for_path(point.path)
            comment = spec.line_comment if spec else "#"
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
                    # repeated, as on the next keystroke; files' clean secret scans are
                    # forgotten too (a first scan is a third of a cold assembly)
                    clear_shared_cache()
                    forget_files()
                    for repeat in (False, True):
                        t0, c0 = time.perf_counter(), time.thread_time()
                        context = assembler.assemble(point, hole, 2000)
                        (warm if repeat else cold).append((time.perf_counter() - t0) * 1000)
                        if not repeat:
                            cold_cpu.append((time.thread_time() - c0) * 1000)
                        assembler.check(point, context)
                    if determinism and assembler.distinct_prompts(point, hole, determinism) > 1:
                        unstable.append(f"{point.rel}:{point.line + 1}")
                for budget in budgets:
                    t0 = time.perf_counter()
                    c0 = time.thread_time()
                    context = assembler.assemble(point, hole, budget)
                    elapsed = (time.perf_counter() - t0) * 1000
                    cpu = (time.thread_time() - c0) * 1000
                    assembler.check(point, context)
                    if budget == 2000 and placement == placements[0]:
                        latencies.append(elapsed)
                        cpu_times.append(cpu)
                    if count_tokens(context.prefix) + count_tokens(context.suffix) > budget:
                        over_budget += 1
                    found = point.found_in(context.prefix + context.suffix)
                    if budget == 2000:
                        digest = hashlib.sha1((context.prefix + "\x00" + context.suffix).encode())
                        digests[f"{point.rel}:{point.line + 1}:{placement}"] = digest.hexdigest()
                    row = hits[placement][budget]
                    row["ours"] += found
                    if not found and budget == 2000:
                        misses.append(
                            {"at": placement, "file": point.rel, "line": point.line + 1}
                            | {"name": point.name, "target": point.target}
                            | {"header": point.header_line}
                            | {"snippets": [f"{s.path} [{s.kind}]" for s in context.snippets]}
                        )
                    row["none"] += point.found_in(plain_context(lines, budget))
                    row["bm25"] += point.found_in(baseline_context(lines, budget, comment, chunks))
            index.close_text(point.path)
        index.close()
    recall = {
        p: {
            str(b): {k: round(v / max(1, counted[p]), 3) for k, v in hits[p][b].items()}
            for b in budgets
        }
        for p in placements
    }
    return {
        "repo": str(root),
        "language": language,
        "files": stats.files,
        "symbols": stats.symbols,
        "index_seconds": round(index_seconds, 2),
        "ground_truth": truth,
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
        "assembly_cold_ms_p99": round(percentile(cold, 99), 2),
        "assembly_cold_cpu_ms_p50": round(percentile(cold_cpu, 50), 2),
        "assembly_cold_cpu_ms_p99": round(percentile(cold_cpu, 99), 2),
        "assembly_repeat_ms_p50": round(percentile(warm, 50), 2),
        "assembly_repeat_ms_p95": round(percentile(warm, 95), 2),
        "over_budget": over_budget,
        "prompts": assembler.prompts,
        "prompts_with_a_snippet_twice": len(assembler.duplicates),
        "prompts_with_test_files": len(assembler.tests),
        "duplicate_examples": assembler.duplicates[:10],
        "test_file_examples": assembler.tests[:10],
        "determinism_runs": determinism,
        "points_with_different_prompts": len(unstable) if determinism else None,
        "unstable_points": unstable[:20],
        "misses_at_2k": misses,
        "prompt_digests": digests,
    }


def _pool(results: list[dict], placement: str, budget: int) -> tuple[float, float, int]:
    """Pooled (ours, bm25, n) of a placement and budget over some repositories."""
    ours = bm25 = n = 0.0
    for result in results:
        cell = result["recall"].get(placement, {}).get(str(budget))
        if cell is None:
            continue
        count = result["points_per_placement"][placement]
        ours += cell["ours"] * count
        bm25 += cell["bm25"] * count
        n += count
    return ours / max(1.0, n), bm25 / max(1.0, n), int(n)


def summary(results: list[dict], budgets: tuple[int, ...] = BUDGETS) -> str:
    """One row per repository, a pooled row per language and one over all: ours/bm25,
    then the dot points' count, recall with no context, and the prompt checks."""
    placements = list(results[0]["recall"]) if results else []
    head = f"{'repository':<20} {'lang':<10} {'n':>4}"
    for placement in placements:
        for budget in budgets:
            head += f" {placement[:5] + '@' + str(budget // 1000) + 'k':>9}"
    head += "  n.dot none  dup test unst cold50"
    rows = [head]
    for result in results:
        row = f"{label(result['repo'])[:20]:<20} {result['language'][:10]:<10} "
        row += f"{result['points']:>4}"
        for placement in placements:
            for budget in budgets:
                cell = result["recall"][placement][str(budget)]
                if result["points_per_placement"][placement]:
                    row += f" {cell['ours']:.2f}/{cell['bm25']:.2f}"
                else:
                    row += f" {'-':>9}"
        none = result["recall"][placements[0]].get("2000", {}).get("none", float("nan"))
        rows.append(row + f"  {_checks([result], none)}")
    groups = defaultdict(list)
    for result in results:
        groups[_language_group(result["language"])].append(result)
    for name, members in [*sorted(groups.items()), ("ALL", results)]:
        row = f"{'pooled':<20} {name[:10]:<10} {sum(r['points'] for r in members):>4}"
        for placement in placements:
            for budget in budgets:
                ours, bm25, _n = _pool(members, placement, budget)
                row += f" {ours:.2f}/{bm25:.2f}"
        rows.append(row + f"  {_checks(members, None)}")
    rows.append(
        "cells: recall ours/bm25; n.dot: points with a dot placement; none: recall with no "
        "context (start@2k); dup: prompts with a snippet or header twice; test: prompts with "
        "test files for a non-test file; unst: points whose prompts differed over the "
        "--determinism runs; cold50: cold assembly p50 ms (median of the repositories')"
    )
    return "\n".join(rows)


def _checks(results: list[dict], none: float | None) -> str:
    """The columns after the recall cells, summed over some repositories."""
    dots = sum(r["points_per_placement"].get("dot", 0) for r in results)
    dup = sum(r.get("prompts_with_a_snippet_twice", 0) for r in results)
    tests = sum(r.get("prompts_with_test_files", 0) for r in results)
    runs = [r.get("points_with_different_prompts") for r in results]
    unstable = "-" if any(u is None for u in runs) else str(sum(u or 0 for u in runs))
    cold = percentile([r["assembly_cold_ms_p50"] for r in results], 50)
    shown = f"{none:.2f}" if none is not None else "    "
    return f"{dots:>5} {shown} {dup:>4} {tests:>4} {unstable:>4} {cold:>6.1f}"


def compare_runs(first: Path, second: Path) -> str:
    """Per repository: points whose prompts differ between two runs of the same points."""
    rows = []
    runs = [json.loads(p.read_text()) for p in (first, second)]
    a, b = ([r] if isinstance(r, dict) else r for r in runs)
    for left, right in zip(a, b, strict=True):
        da, db = left["prompt_digests"], right["prompt_digests"]
        common = sorted(set(da) & set(db))
        differ = [k for k in common if da[k] != db[k]]
        name = label(left["repo"])
        rows.append(f"{name}: {len(differ)} of {len(common)} prompts differ {differ[:3]}")
    return "\n".join(rows)


def label(repo: str) -> str:
    """A repository's name in the table: the folder under `corpora/` (bench/fetch_corpora.py
    lays each code base out there), else the root's own name."""
    parts = Path(repo).parts
    if "corpora" in parts[:-1]:
        return parts[parts.index("corpora") + 1]
    return Path(repo).name


def _language_group(language: str) -> str:
    scripts = ("javascript", "typescript", "tsx")
    return "js/ts" if language in scripts or "/" in language else language


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", type=Path, nargs="*")
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--placements",
        default="start,typed,dot",
        help=f"comma-separated cursor placements among {', '.join(PLACEMENTS)}",
    )
    parser.add_argument("--budgets", default="1000,2000,4000", help="token budgets")
    parser.add_argument(
        "--determinism",
        type=int,
        default=0,
        metavar="N",
        help="assemble each start point N times cold and once warm; count differing prompts",
    )
    parser.add_argument(
        "--summarize", type=Path, nargs="+", help="print the table of saved --json outputs"
    )
    parser.add_argument(
        "--compare",
        type=Path,
        nargs=2,
        metavar=("A", "B"),
        help="count the points whose 2k prompts differ between two saved --json runs "
        "(e.g. two processes with different PYTHONHASHSEED)",
    )
    parser.add_argument(
        "--prefix-share", type=float, help="override the prefix's reserved share (a sweep)"
    )
    args = parser.parse_args()
    budgets = tuple(int(b) for b in args.budgets.split(","))
    if args.compare:
        print(compare_runs(*args.compare))
        return
    if args.summarize:
        saved = [json.loads(p.read_text()) for p in args.summarize]
        results = [r for s in saved for r in (s if isinstance(s, list) else [s])]
        print(summary(results, tuple(int(b) for b in results[0]["recall"]["start"])))
        return
    if args.prefix_share is not None:
        import lsp_server.context.builder as builder_module

        builder_module.PREFIX_SHARE = args.prefix_share
        globals()["PREFIX_SHARE"] = args.prefix_share
    placements = tuple(p for p in args.placements.split(",") if p in PLACEMENTS)
    results = []
    for repo in args.repo:
        result = run(
            repo, args.points, args.seed, placements or PLACEMENTS[:1], budgets, args.determinism
        )
        results.append(result)
        if not args.json:
            report(result)
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    elif len(results) > 1:
        print(summary(results, budgets))


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
          f"cold p50 {result['assembly_cold_ms_p50']} ms, p99 {result['assembly_cold_ms_p99']} ms "
          f"(CPU p50 {result['assembly_cold_cpu_ms_p50']}, "
          f"p99 {result['assembly_cold_cpu_ms_p99']}); "
          f"repeat p50 {result['assembly_repeat_ms_p50']} ms; "
          f"over budget: {result['over_budget']}")  # fmt: skip
    print(f"prompts {result['prompts']}: a snippet twice in "
          f"{result['prompts_with_a_snippet_twice']}, test files (edited file not a test) in "
          f"{result['prompts_with_test_files']}; different prompts over "
          f"{result['determinism_runs']} runs: "
          f"{result['points_with_different_prompts']}")  # fmt: skip
    for example in result["duplicate_examples"][:3] + result["test_file_examples"][:3]:
        print("  prompt:", example)
    for miss in result["misses_at_2k"][:8]:
        print("  miss:", miss)


if __name__ == "__main__":
    main()
