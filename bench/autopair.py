"""Ghost text after auto-closed brackets and quotes: how often a completion duplicates them.

Editors insert the closing `)`, `]`, `}` and quotes as soon as the opener is typed, so the
most common text after the cursor is a run of closers. Each case is a real-looking line of
Python, TypeScript, JavaScript, Go, Rust or Java cut right after an opener (and, for the
prefix of a string, after a quote), with the editor's auto-pairs after the cursor; the
model's completion comes in the shapes fill-in-the-middle models produce: the rest of the
line with the closers repeated (`self):`), the rest up to the closers only (`self)`), and
the exact middle (`self`). The completion goes through `postprocess.clean` (new) and through
the suffix handling before issue 13 (baseline), is inserted at the cursor, and the line is
compared with the line the model meant.

- duplicated: the line has more of some closer or quote than the intended one (target 0);
- exact: the line is the intended one, or the best an insertion at the cursor can give
  (the text up to the closers; a `:` after `)` is left for the user to type);
- shortened: no duplicate, but less than that (the completion was cut too early).

    python bench/autopair.py [--json] [--show]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsp_server.completion import postprocess  # noqa: E402
from lsp_server.completion.decide import Shape  # noqa: E402

LINES: dict[str, list[str]] = {
    "python": [
        "    def clear(self):",
        "    def add(self, item: Item) -> int:",
        "        self.items.append((name, price))",
        '        raise ValueError(f"unknown key: {key!r}")',
        "    return sorted(found, key=lambda p: p.stat().st_mtime)",
        "        if isinstance(value, (list, tuple)):",
        '    parser.add_argument("--json", action="store_true")',
        "    totals = {name: sum(values) for name, values in groups.items()}",
        '    print("done in", round(elapsed, 2), "s")',
        "        return self.data.get(key, default)",
        "    with open(path, encoding='utf-8') as handle:",
        "    matrix = [[0] * width for _ in range(height)]",
        '    log.info("indexed %d files", len(files))',
        "class Cart(Base):",
        "    for index, (name, price) in enumerate(items):",
    ],
    "typescript": [
        "  constructor(private db: Db) {}",
        "  async findById(id: number): Promise<User | undefined> {",
        "    const rows = await this.db.query(sql, [id]);",
        "    return rows.map((row) => row.name);",
        "export function byName(a: User, b: User): number {",
        "    throw new Error(`unknown user ${id}`);",
        "    if (items.length === 0) {",
        "    const byId = new Map(users.map((u) => [u.id, u]));",
        '  console.log("saved", { id: user.id, name: user.name });',
        "    setTimeout(() => controller.abort(), timeoutMs);",
    ],
    "javascript": [
        "function extensionOf(file) {",
        "  const ext = path.extname(file);",
        "    groups[ext].push(file);",
        "  return files.filter((f) => f.endsWith('.js'));",
        "module.exports = { extensionOf, groupByExtension };",
        '  app.get("/health", (req, res) => res.json({ ok: true }));',
        "  for (const [key, value] of Object.entries(options)) {",
        "const total = prices.reduce((sum, p) => sum + p, 0);",
    ],
    "go": [
        "func (s *Stack) Push(v int) {",
        "\ts.items = append(s.items, v)",
        '\t\treturn 0, errors.New("empty stack")',
        "\tfor _, v := range values {",
        '\tfmt.Printf("%d items\\n", len(s.items))',
        "\tif err := json.Unmarshal(data, &cfg); err != nil {",
        "\tm := make(map[string][]int)",
        '\treturn fmt.Errorf("open %s: %w", path, err)',
    ],
    "rust": [
        "    pub fn get(&self, key: &str) -> Option<&String> {",
        "        self.values.get(key)",
        '        let raw = self.values.get("port");',
        "            Some(text) => text.parse().unwrap_or(8080),",
        "    let mut parts = line.splitn(2, '=');",
        '    println!("{} items", items.len());',
        "    let names: Vec<String> = users.iter().map(|u| u.name.clone()).collect();",
        "impl From<io::Error> for ConfigError {",
    ],
    "java": [
        "    public void add(double amount) {",
        '            throw new IllegalArgumentException("negative amount");',
        "        for (double a : amounts) {",
        "        return amounts.stream().mapToDouble(Double::doubleValue).sum();",
        "    private final Map<String, List<Integer>> index = new HashMap<>();",
        '        System.out.println(String.format("%d orders", count()));',
        "        if (amount < 0 || Double.isNaN(amount)) {",
    ],
}

_PAIRS = {"(": ")", "[": "]", "{": "}", '"': '"', "'": "'", "`": "`"}


@dataclass(frozen=True)
class Case:
    language: str
    line: str  # what the model means the line to be
    cursor: int  # where the user stopped typing
    suffix: str  # what the editor auto-inserted after the cursor
    completion: str  # the model's answer
    shape: str


def auto_pairs(prefix: str) -> str | None:
    """The closers an editor leaves after the cursor for what is open in `prefix` (None:
    the cursor sits somewhere an editor would not have auto-paired, e.g. inside a word)."""
    stack: list[str] = []
    quote = ""
    for index, ch in enumerate(prefix):
        if quote:
            if ch == "\\":
                continue
            if ch == quote and prefix[index - 1] != "\\":
                quote = ""
            elif ch == "{" and quote == "`":
                pass
            continue
        if ch in '"`' or (ch == "'" and (index == 0 or not prefix[index - 1].isalnum())):
            quote = ch
        elif ch in "([{":
            stack.append(ch)
        elif ch in ")]}" and stack:
            stack.pop()
    closers = "".join(_PAIRS[c] for c in reversed(stack))
    return (quote + closers) if quote else closers


def cases() -> Iterator[Case]:
    for language, lines in LINES.items():
        for line in lines:
            for cursor in range(1, len(line)):
                if line[cursor - 1] not in _PAIRS:
                    continue
                prefix = line[:cursor]
                suffix = auto_pairs(prefix)
                if not suffix:
                    continue
                rest = line[cursor:]
                yield Case(language, line, cursor, suffix, rest, "rest of line, closers repeated")
                at = closing_index(suffix, rest)
                if at is None:
                    continue
                upto = rest[: at + 1]
                if upto != rest:
                    yield Case(language, line, cursor, suffix, upto, "up to the first closer")
                if rest[:at].strip():
                    yield Case(language, line, cursor, suffix, rest[:at], "exact middle")


def _old_clean(raw: str, text: str, offset: int) -> str | None:
    """The single-line suffix handling before issue 13."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    rest_of_line = text[offset:line_end]
    completion = raw.split("\n", 1)[0].rstrip()
    tail = rest_of_line.strip()
    if tail:
        for size in range(min(len(tail), len(completion)), 0, -1):
            if completion.endswith(tail[:size]) and tail[:size].strip():
                completion = completion[: len(completion) - size]
                break
    completion = postprocess._balance_closers(text[line_start:offset], completion, rest_of_line)
    return completion or None


def _new_clean(raw: str, text: str, offset: int) -> str | None:
    return postprocess.clean(raw, text, offset, Shape(multiline=False, indent="", stop=["\n"]))


def closing_index(suffix: str, rest: str) -> int | None:
    """Where in the intended rest of the line the first auto-inserted closer belongs."""
    if not suffix:
        return None
    if suffix[0] in "\"'`":
        at = rest.find(suffix[0])
        return at if at >= 0 else None
    depth = 0
    for index, ch in enumerate(rest):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                return index
            depth -= 1
    return None


def best_line(case: Case) -> str:
    """The best an insertion at the cursor can give: the intended text up to where the
    first auto-inserted closer belongs, then the closers (what follows, the user types)."""
    rest = case.line[case.cursor :]
    at = closing_index(case.suffix, rest)
    if at is None:
        return case.line
    return case.line[: case.cursor] + rest[:at] + case.suffix


def judge(case: Case, inserted: str | None) -> str:
    line = case.line[: case.cursor] + (inserted or "") + case.suffix
    if any(line.count(ch) > case.line.count(ch) for ch in ")]}\"'`:;,"):
        return "duplicated"
    best = best_line(case)
    if line in (case.line, best) or (case.line.startswith(line) and len(line) >= len(best)):
        return "exact"
    if any(line.count(ch) > case.line.count(ch) for ch in ")]}\"'`:;,"):
        return "duplicated"
    return "shortened"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show", action="store_true", help="Print every duplicated case.")
    args = parser.parse_args()
    appliers: dict[str, Callable[[str, str, int], str | None]] = {
        "new": _new_clean,
        "baseline": _old_clean,
    }
    totals: dict[str, Counter[str]] = {k: Counter() for k in appliers}
    shapes: dict[str, dict[str, Counter[str]]] = {}
    all_cases = list(cases())
    for case in all_cases:
        text = case.line[: case.cursor] + case.suffix + "\n"
        for which, clean in appliers.items():
            verdict = judge(case, clean(case.completion, text, case.cursor))
            totals[which][verdict] += 1
            shapes.setdefault(case.shape, {k: Counter() for k in appliers})[which][verdict] += 1
            if args.show and which == "new" and verdict == "duplicated":
                print(f"{case.language}: {case.line!r} @ {case.cursor} + {case.completion!r}")
    figures = {
        "cases": len(all_cases),
        "languages": dict(Counter(c.language for c in all_cases)),
        "totals": {k: dict(v) for k, v in totals.items()},
        "shapes": {s: {k: dict(v) for k, v in c.items()} for s, c in shapes.items()},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{len(all_cases)} cases over {figures['languages']}")
        for shape, counts in shapes.items():
            for which in appliers:
                c = counts[which]
                print(
                    f"{shape:<32} {which:<9} exact {c['exact']:>3}  duplicated "
                    f"{c['duplicated']:>3}  shortened {c['shortened']:>3}"
                )
        for which in appliers:
            t = totals[which]
            print(
                f"{which:>8}: duplicated {t['duplicated']}/{len(all_cases)}, exact "
                f"{t['exact']}, shortened {t['shortened']}"
            )
    return 0 if totals["new"]["duplicated"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
