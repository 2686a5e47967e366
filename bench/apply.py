"""Applying refactor answers: how often the document ends up exactly as intended.

Scripts the chat answer in the shapes real models use (the exact selection; the change with
context lines copied from the file; the whole enclosing function; the whole file; lazy
`... existing code ...` markers; prose with a second "usage" block; changed indentation;
CRLF; tabs; 2-space files; no-op; invalid twice; bare code without a fence; a selection
starting mid-line with a dedented answer; a docstring action that deletes code; a change far
outside the selection) over Python, TypeScript, JavaScript, Go, Rust and Java files, and
applies each answer two ways in the same run:

- new: the service's own path (`answer_blocks.extract_code` + `fitting.fit_code`), with one
  retry on a refused answer, as the service does;
- baseline: the behaviour before issue 13, reimplemented here (longest block in the file's
  language, pasted over the selection after re-indenting, tree-sitter check only).

Each case ends exact (the document is what the instruction asked for, or the answer is
refused where refusing is right), refused (wrongly: a usable answer was turned down) or
corrupt (the document changed in a way nobody asked for: code outside the instruction
changed, duplicated or lost, or a file the language's parser rejects). Target: ≥ 98 % exact
and 0 corrupt for `new`.

    python bench/apply.py [--json] [--show corrupt|refused|all]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsp_server.refactor.answer_blocks import extract_code, fenced_blocks  # noqa: E402
from lsp_server.refactor.fitting import fit_code  # noqa: E402
from lsp_server.refactor.syntax import enclosing_definition, introduced_errors  # noqa: E402
from lsp_server.refactor.textops import fit_to_selection  # noqa: E402
from lsp_server.refactor.validation import syntax_problems  # noqa: E402

TARGET_EXACT = 0.98

# -- the files and the changes asked of them ---------------------------------------------


@dataclass(frozen=True)
class Task:
    """Replace the lines from the one containing `first` to the one containing `last`
    (inclusive) with `new` (written at the file's indentation)."""

    first: str
    last: str
    new: str
    action: str = "refactor"


@dataclass(frozen=True)
class Source:
    name: str
    language: str
    text: str
    tasks: tuple[Task, ...]
    comment: str  # the line comment used for lazy markers
    usage: str  # a usage line a model might show in a second block


PY_CART = '''\
"""Shopping cart helpers."""

from dataclasses import dataclass, field

TAX = 0.2


@dataclass
class Item:
    name: str
    price: float
    quantity: int = 1


@dataclass
class Cart:
    items: list[Item] = field(default_factory=list)

    def add(self, item):
        self.items.append(item)
        return len(self.items)

    def total_value(self):
        total = 0
        for item in self.items:
            total += item.price * item.quantity
        return total

    def clear(self):
        self.items = []


def with_tax(amount):
    result = amount * (1 + TAX)
    return round(result, 2)
'''

PY_TABS = (
    "import os\n\n\ndef list_python(root):\n\tfound = []\n\tfor name in os.listdir(root):\n"
    "\t\tif name.endswith('.py'):\n\t\t\tfound.append(name)\n\treturn sorted(found)\n\n\n"
    "def count(root):\n\treturn len(list_python(root))\n"
)

PY_TWO = """\
import json


class Store:
  def __init__(self, path):
    self.path = path
    self.data = {}

  def load(self):
    with open(self.path) as handle:
      self.data = json.load(handle)
    return self.data

  def get(self, key, default=None):
    if key in self.data:
      return self.data[key]
    return default
"""

TS_USERS = """\
import { Db } from "./db";

export interface User {
  id: number;
  name: string;
  email: string;
}

export class UserService {
  constructor(private db: Db) {}

  async findById(id: number): Promise<User | undefined> {
    const rows = await this.db.query("select * from users where id = ?", [id]);
    if (rows.length === 0) {
      return undefined;
    }
    return rows[0] as User;
  }

  displayName(user: User): string {
    const name = user.name.trim();
    return name.length > 0 ? name : user.email;
  }
}

export function byName(a: User, b: User): number {
  return a.name.localeCompare(b.name);
}
"""

JS_UTIL = """\
const path = require("path");

function extensionOf(file) {
  const ext = path.extname(file);
  if (!ext) {
    return "";
  }
  return ext.slice(1).toLowerCase();
}

function groupByExtension(files) {
  const groups = {};
  for (const file of files) {
    const ext = extensionOf(file);
    if (!groups[ext]) {
      groups[ext] = [];
    }
    groups[ext].push(file);
  }
  return groups;
}

module.exports = { extensionOf, groupByExtension };
"""

GO_STACK = """\
package stack

import "errors"

// Stack is a LIFO of ints.
type Stack struct {
\titems []int
}

func (s *Stack) Push(v int) {
\ts.items = append(s.items, v)
}

func (s *Stack) Pop() (int, error) {
\tif len(s.items) == 0 {
\t\treturn 0, errors.New("empty stack")
\t}
\tlast := s.items[len(s.items)-1]
\ts.items = s.items[:len(s.items)-1]
\treturn last, nil
}

func Sum(values []int) int {
\ttotal := 0
\tfor _, v := range values {
\t\ttotal += v
\t}
\treturn total
}
"""

RS_CONFIG = """\
use std::collections::HashMap;

pub struct Config {
    values: HashMap<String, String>,
}

impl Config {
    pub fn new() -> Self {
        Config { values: HashMap::new() }
    }

    pub fn get(&self, key: &str) -> Option<&String> {
        self.values.get(key)
    }

    pub fn port(&self) -> u16 {
        let raw = self.values.get("port");
        match raw {
            Some(text) => text.parse().unwrap_or(8080),
            None => 8080,
        }
    }
}

pub fn parse_line(line: &str) -> Option<(String, String)> {
    let mut parts = line.splitn(2, '=');
    let key = parts.next()?.trim().to_string();
    let value = parts.next()?.trim().to_string();
    Some((key, value))
}
"""

JAVA_ORDERS = """\
package shop;

import java.util.ArrayList;
import java.util.List;

public class Orders {
    private final List<Double> amounts = new ArrayList<>();

    public void add(double amount) {
        if (amount < 0) {
            throw new IllegalArgumentException("negative amount");
        }
        amounts.add(amount);
    }

    public double total() {
        double sum = 0;
        for (double a : amounts) {
            sum += a;
        }
        return sum;
    }

    public int count() {
        return amounts.size();
    }
}
"""

SOURCES: tuple[Source, ...] = (
    Source(
        "cart.py",
        "python",
        PY_CART,
        (
            Task(
                "for item in self.items:",
                "total += item.price",
                "        for item in self.items:\n"
                "            if item.quantity > 0:\n"
                "                total += item.price * item.quantity\n",
            ),
            Task(
                "result = amount * (1 + TAX)",
                "return round(result, 2)",
                "    return round(amount * (1 + TAX), 2)\n",
                "simplify",
            ),
            Task(
                "def add(self, item):",
                "return len(self.items)",
                "    def add(self, item: Item) -> int:\n"
                "        self.items.append(item)\n"
                "        return len(self.items)\n",
                "types",
            ),
            Task(
                "def clear(self):",
                "self.items = []",
                '    def clear(self):\n        """Remove every item."""\n        self.items = []\n',
                "docstring",
            ),
        ),
        "#",
        "print(Cart().total_value())  # prints the total of every item in the cart",
    ),
    Source(
        "walk.py",
        "python",
        PY_TABS,
        (
            Task(
                "found = []",
                "return sorted(found)",
                "\tfound = [name for name in os.listdir(root) if name.endswith('.py')]\n"
                "\treturn sorted(found)\n",
                "simplify",
            ),
            Task(
                "if name.endswith('.py'):",
                "found.append(name)",
                "\t\tif name.endswith(('.py', '.pyi')):\n\t\t\tfound.append(name)\n",
            ),
        ),
        "#",
        "print(list_python('.'))  # lists every Python file in the current folder",
    ),
    Source(
        "store.py",
        "python",
        PY_TWO,
        (
            Task(
                "if key in self.data:",
                "return default",
                "    return self.data.get(key, default)\n",
                "simplify",
            ),
            Task(
                "with open(self.path) as handle:",
                "self.data = json.load(handle)",
                "    with open(self.path, encoding='utf-8') as handle:\n"
                "      self.data = json.load(handle)\n",
            ),
        ),
        "#",
        "store = Store('data.json'); store.load(); print(store.get('name', 'nobody'))",
    ),
    Source(
        "users.ts",
        "typescript",
        TS_USERS,
        (
            Task(
                "if (rows.length === 0) {",
                "return rows[0] as User;",
                "    return rows.length === 0 ? undefined : (rows[0] as User);\n",
                "simplify",
            ),
            Task(
                "const name = user.name.trim();",
                "return name.length > 0",
                "    const name = (user.name ?? '').trim();\n"
                "    return name.length > 0 ? name : user.email;\n",
            ),
            Task(
                "export function byName",
                "return a.name.localeCompare",
                "export function byName(a: User, b: User): number {\n"
                "  return a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });\n",
            ),
        ),
        "//",
        "const service = new UserService(db); console.log(await service.findById(42));",
    ),
    Source(
        "util.js",
        "javascript",
        JS_UTIL,
        (
            Task(
                "const ext = path.extname(file);",
                "return ext.slice(1).toLowerCase();",
                "  const ext = path.extname(file);\n"
                "  return ext ? ext.slice(1).toLowerCase() : '';\n",
                "simplify",
            ),
            Task(
                "if (!groups[ext]) {",
                "groups[ext].push(file);",
                "    (groups[ext] ||= []).push(file);\n",
            ),
            Task(
                "function extensionOf(file) {",
                "function extensionOf(file) {",
                "/**\n * The extension of a file name, lower case, without the dot.\n */\n"
                "function extensionOf(file) {\n",
                "docstring",
            ),
        ),
        "//",
        "console.log(groupByExtension(['a.js', 'b.JS', 'README']));  // { js: [...], '': [...] }",
    ),
    Source(
        "stack.go",
        "go",
        GO_STACK,
        (
            Task(
                "if len(s.items) == 0 {",
                "return 0, errors.New",
                "\tif len(s.items) == 0 {\n\t\treturn 0, ErrEmpty\n",
            ),
            Task(
                "last := s.items[len(s.items)-1]",
                "s.items = s.items[:len(s.items)-1]",
                "\tn := len(s.items) - 1\n\tlast := s.items[n]\n\ts.items = s.items[:n]\n",
                "simplify",
            ),
            Task(
                "func Sum(values []int) int {",
                "func Sum(values []int) int {",
                "// Sum adds up the values.\nfunc Sum(values []int) int {\n",
                "docstring",
            ),
        ),
        "//",
        "fmt.Println(Sum([]int{1, 2, 3})) // prints 6 after pushing and popping a few values",
    ),
    Source(
        "config.rs",
        "rust",
        RS_CONFIG,
        (
            Task(
                'let raw = self.values.get("port");',
                "        }",
                '        self.values\n            .get("port")\n'
                "            .and_then(|text| text.parse().ok())\n            .unwrap_or(8080)\n",
                "simplify",
            ),
            Task(
                "let key = parts.next()?",
                "let value = parts.next()?",
                "    let key = parts.next()?.trim().to_lowercase();\n"
                "    let value = parts.next()?.trim().to_string();\n",
            ),
        ),
        "//",
        'let config = Config::new(); println!("{}", config.port()); // 8080 unless set',
    ),
    Source(
        "Orders.java",
        "java",
        JAVA_ORDERS,
        (
            Task(
                "double sum = 0;",
                "return sum;",
                "        return amounts.stream().mapToDouble(Double::doubleValue).sum();\n",
                "simplify",
            ),
            Task(
                "if (amount < 0) {",
                "throw new IllegalArgumentException",
                "        if (amount < 0 || Double.isNaN(amount)) {\n"
                '            throw new IllegalArgumentException("invalid amount: " + amount);\n',
            ),
        ),
        "//",
        "Orders orders = new Orders(); orders.add(2.5); System.out.println(orders.total());",
    ),
)


# -- cases --------------------------------------------------------------------------------


@dataclass
class Case:
    shape: str
    language: str
    name: str
    text: str  # the document
    start: int
    end: int
    answers: tuple[str, str]  # first answer, and the answer to the retry
    expected: str | None  # the document afterwards; None: the answer must be refused
    action: str = "refactor"


def _fence(code: str, language: str) -> str:
    return f"```{language}\n{code.rstrip(chr(10))}\n```"


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _offsets(lines: list[str]) -> list[int]:
    out = [0]
    for line in lines:
        out.append(out[-1] + len(line))
    return out


@dataclass
class Prepared:
    source: Source
    task: Task
    lines: list[str]
    first: int
    stop: int
    expected: str
    scope: tuple[int, int]  # enclosing definition, as line indices [a, b)

    @property
    def selected(self) -> str:
        return "".join(self.lines[self.first : self.stop])

    @property
    def new_lines(self) -> list[str]:
        return _lines(self.task.new)

    def with_change(self, a: int, b: int) -> str:
        """Lines [a, b) of the document as they are after the change."""
        return "".join(self.lines[a : self.first] + self.new_lines + self.lines[self.stop : b])


def prepare(source: Source, task: Task) -> Prepared:
    lines = _lines(source.text)
    first = next(i for i, line in enumerate(lines) if task.first in line)
    last = next(i for i in range(first, len(lines)) if task.last in lines[i])
    stop = last + 1
    expected = "".join(lines[:first]) + task.new + "".join(lines[stop:])
    offsets = _offsets(lines)
    scope = enclosing_definition(source.text, source.language, offsets[first], offsets[first])
    if scope is None:
        a, b = first, stop
    else:
        a, b = (
            sum(1 for o in offsets[:-1] if o < scope[0]),
            sum(1 for o in offsets[:-1] if o < scope[1]),
        )
    return Prepared(source, task, lines, first, stop, expected, (min(a, first), max(b, stop)))


def _dedent(code: str) -> str:
    return textwrap.dedent(code.expandtabs(4)) if "\t" in code else textwrap.dedent(code)


def _restyle(code: str, language: str) -> str:
    """The code in another indentation style than the file's (a model's habit)."""
    out = []
    for line in code.split("\n"):
        lead = len(line) - len(line.lstrip(" \t"))
        indent = line[:lead]
        if "\t" in indent:
            out.append("    " * indent.count("\t") + line[lead:])
        elif language == "python" and len(indent) % 4 == 0 and " " * 4 in (indent or "    "):
            out.append("  " * (len(indent) // 4) + line[lead:])
        else:
            out.append("    " * (len(indent) // 2) + line[lead:])
    return "\n".join(out)


def _marker(comment: str, words: str) -> str:
    return f"{comment} ... {words} ..."


def _broken(code: str, language: str) -> str:
    lines = code.rstrip("\n").split("\n")
    return "\n".join(lines[:-1] + [lines[-1].rstrip().rstrip(":;{),") + " ((("])


def cases() -> Iterator[Case]:
    for source in SOURCES:
        for task in source.tasks:
            p = prepare(source, task)
            yield from _shapes(p)
    yield from _mid_line_cases()
    yield from _guard_cases()


def _case(
    p: Prepared,
    shape: str,
    answer: str,
    retry: str | None = None,
    expected: str | None | bool = True,
    text: str | None = None,
) -> Case:
    offsets = _offsets(_lines(text) if text is not None else p.lines)
    return Case(
        shape,
        p.source.language,
        p.source.name,
        text if text is not None else p.source.text,
        offsets[p.first],
        offsets[p.stop],
        (answer, retry if retry is not None else answer),
        p.expected if expected is True else (None if expected in (None, False) else expected),  # type: ignore[arg-type]
        p.task.action,
    )


def _shapes(p: Prepared) -> Iterator[Case]:
    lang, new = p.source.language, p.task.new
    yield _case(p, "exact selection", _fence(new, lang))
    yield _case(p, "dedented", _fence(_dedent(new), lang))
    yield _case(p, "indentation style changed", _fence(_restyle(new, lang), lang))
    for n in (1, 2, 3):
        before = p.with_change(max(0, p.first - n), p.stop)
        after = p.with_change(p.first, min(len(p.lines), p.stop + n))
        both = p.with_change(max(0, p.first - n), min(len(p.lines), p.stop + n))
        yield _case(p, "context before", _fence(before, lang))
        yield _case(p, "context after", _fence(after, lang))
        yield _case(p, "context both sides", _fence(_dedent(both), lang))
    a, b = p.scope
    if (a, b) != (p.first, p.stop):
        yield _case(p, "whole function", _fence(_dedent(p.with_change(a, b)), lang))
        yield _case(
            p,
            "whole function, prose around",
            "Sure! Here is the updated "
            f"function:\n\n{_fence(p.with_change(a, b), lang)}\n\nThis keeps the behaviour.",
        )
    yield _case(p, "whole file", _fence(p.expected, lang))
    yield _case(p, "whole file, no fence", p.expected)
    # Lazy markers: the enclosing function with the unchanged parts abbreviated.
    c = p.source.comment
    head = p.lines[a : p.first]
    tail = p.lines[p.stop : b]
    if len(head) > 1 or len(tail) > 1:
        parts = []
        if head:
            parts.append(head[0])
            if len(head) > 1:
                indent = re.match(r"[ \t]*", p.lines[p.first]).group(0)  # type: ignore[union-attr]
                parts.append(f"{indent}{_marker(c, 'existing code')}\n")
        parts += p.new_lines
        if tail:
            if len(tail) > 1:
                indent = re.match(r"[ \t]*", p.lines[p.stop - 1]).group(0)  # type: ignore[union-attr]
                parts.append(f"{indent}{_marker(c, 'rest unchanged')}\n")
            parts.append(tail[-1])
        yield _case(p, "lazy markers (function)", _fence("".join(parts), lang))
    top = "".join(p.lines[:a])
    if top.strip():
        block = "/* ... */" if lang != "python" else "# ..."
        lazy_file = (
            f"{block}\n" + p.with_change(a, b) + f"{_marker(c, 'rest of the file unchanged')}\n"
        )
        yield _case(p, "lazy markers (file)", _fence(lazy_file, lang))
    usage = (
        f"Here is the improved code:\n\n{_fence(new, lang)}\n\n"
        f"You can use it like this:\n\n{_fence(p.source.usage, lang)}\n"
    )
    yield _case(p, "prose + usage block", usage)
    run_tests = "```bash\npytest -q tests/ --maxfail=1 -k cart\n```"
    shell = f"{_fence(new, lang)}\n\nRun the tests with:\n{run_tests}"
    yield _case(p, "prose + shell block", shell)
    yield _case(p, "bare code without fence", _dedent(new).strip("\n"))
    crlf_text = p.source.text.replace("\n", "\r\n")
    crlf_expected = p.expected.replace("\n", "\r\n")
    yield _case(p, "CRLF file", _fence(new, lang), text=crlf_text, expected=crlf_expected)
    yield _case(
        p,
        "CRLF file, context lines",
        _fence(p.with_change(max(0, p.first - 2), p.stop), lang),
        text=crlf_text,
        expected=crlf_expected,
    )
    yield _case(p, "no-op", _fence(p.selected, lang), expected=p.source.text)
    broken = _fence(_broken(new, lang), lang)
    yield _case(p, "invalid twice", broken, broken, expected=None)
    yield _case(p, "invalid, then right", broken, _fence(new, lang))
    # A whole file echoed with an unasked change far from the selection: refuse.
    far = p.expected
    far_lines = _lines(far)
    target = 0 if p.first > 3 else len(far_lines) - 1
    far_lines[target] = far_lines[target].rstrip("\r\n") + f"  {c} touched\n"
    yield _case(p, "whole file, far change", _fence("".join(far_lines), lang), expected=None)


def _mid_line_cases() -> Iterator[Case]:
    """Selections that start inside a line (an expression), answered dedented."""
    specs = [
        ("python", PY_CART, "amount * (1 + TAX)", "round(amount * (1 + TAX), 4)", None),
        (
            "python",
            PY_CART,
            "item.price * item.quantity",
            "item.price * max(item.quantity, 0)",
            None,
        ),
        ("typescript", TS_USERS, "rows[0] as User", "(rows[0] as User)", None),
        (
            "go",
            GO_STACK,
            'errors.New("empty stack")',
            'errors.New("pop from an empty stack")',
            None,
        ),
        (
            "rust",
            RS_CONFIG,
            "text.parse().unwrap_or(8080)",
            "text.parse().unwrap_or(DEFAULT_PORT)",
            None,
        ),
        ("java", JAVA_ORDERS, "amounts.size()", "amounts.isEmpty() ? 0 : amounts.size()", None),
        (
            "javascript",
            JS_UTIL,
            "ext.slice(1).toLowerCase()",
            "ext.slice(1)\n  .toLowerCase()",
            None,
        ),
        # Multi-line selections starting after the indentation, answered at column 0.
        (
            "python",
            PY_CART,
            "total = 0\n        for item in self.items:\n"
            "            total += item.price * item.quantity",
            "total = sum(\n    item.price * item.quantity for item in self.items\n)",
            "indent",
        ),
        (
            "python",
            PY_TWO,
            "if key in self.data:\n      return self.data[key]\n    return default",
            "return self.data.get(key, default)",
            "indent",
        ),
        (
            "go",
            GO_STACK,
            "total := 0\n\tfor _, v := range values {\n\t\ttotal += v\n\t}",
            "total := 0\nfor i := range values {\n\ttotal += values[i]\n}",
            "indent",
        ),
        (
            "java",
            JAVA_ORDERS,
            "double sum = 0;\n        for (double a : amounts) {\n            sum += a;\n        }",
            "double sum = 0;\nfor (Double a : amounts) {\n    sum += a;\n}",
            "indent",
        ),
        (
            "typescript",
            TS_USERS,
            "const name = user.name.trim();\n    return name.length > 0 ? name : user.email;",
            "const name = user.name.trim();\nreturn name || user.email;",
            "indent",
        ),
    ]
    for language, text, selected, answer, kind in specs:
        start = text.index(selected)
        end = start + len(selected)
        expected = text[:start] + _expected_mid(text, start, selected, answer, kind) + text[end:]
        name = f"mid-line ({language})"
        for shape, reply in (
            ("mid-line selection, dedented answer", _fence(answer, language)),
            ("mid-line selection, bare answer", answer),
        ):
            yield Case(shape, language, name, text, start, end, (reply, reply), expected)
        crlf = text.replace("\n", "\r\n")
        c_start = crlf.index(selected.replace("\n", "\r\n"))
        c_end = c_start + len(selected.replace("\n", "\r\n"))
        yield Case(
            "mid-line selection, CRLF",
            language,
            name,
            crlf,
            c_start,
            c_end,
            (_fence(answer, language),) * 2,
            expected.replace("\n", "\r\n"),
        )


def _expected_mid(text: str, start: int, selected: str, answer: str, kind: str | None) -> str:
    """The answer at the selection: continuation lines at the indentation of the line the
    selection starts on, plus their own relative indentation (in the file's style)."""
    line_start = text.rfind("\n", 0, start) + 1
    indent = re.match(r"[ \t]*", text[line_start:]).group(0)  # type: ignore[union-attr]
    tabs = "\t" in indent
    lines = answer.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        rel = line[: len(line) - len(line.lstrip(" \t"))]
        width = len(rel.expandtabs(4))
        unit = 2 if indent[:2] == "  " and not indent.startswith("    ") else 4
        if tabs:
            rel_out = "\t" * (width // 4)
        elif kind == "indent" and unit == 2:
            rel_out = " " * (width // 2)
        else:
            rel_out = " " * width
        out.append(indent + rel_out + line.lstrip(" \t"))
    return "\n".join(out)


def _guard_cases() -> Iterator[Case]:
    """Actions whose answer breaks their promise: refused, the document untouched."""
    source = SOURCES[0]
    task = Task("def clear(self):", "self.items = []", "", "docstring")
    p = prepare(source, task)
    stub = (
        'class Clearable:\n    """Something that can be cleared."""\n\n    def clear(self): ...\n'
    )
    yield _case(p, "docstring answer deletes code", _fence(stub, "python"), expected=None)
    typed = "    def clear(self) -> None:\n        self.items.clear()\n"
    p2 = prepare(source, Task("def clear(self):", "self.items = []", "", "types"))
    yield _case(p2, "annotations answer changes code", _fence(typed, "python"), expected=None)
    renamed = "    def empty(self):\n        self.items = []\n"
    p3 = prepare(source, Task("def clear(self):", "self.items = []", "", "simplify"))
    yield _case(p3, "simplify answer renames", _fence(renamed, "python"), expected=None)


# -- applying -----------------------------------------------------------------------------


def apply_new(case: Case) -> str | None:
    """The service's path: extract, reconcile, validate, guard; one retry."""
    selection = case.text[case.start : case.end]
    for answer in case.answers:
        block = extract_code(answer, case.language, selection)
        if block is None or not block.closed or not block.code.strip():
            continue
        result, problems = fit_code(
            block.code, case.text, case.start, case.end, case.language, case.action
        )
        if result is not None:
            return result.new_text
    return None


def _old_extract(answer: str, language: str) -> str | None:
    blocks = [b for b in fenced_blocks(answer) if b.closed]
    if not blocks:
        return None
    if len(blocks) == 1:
        return blocks[0].code
    aliases = {language, {"python": "py", "typescript": "ts", "javascript": "js"}.get(language)}
    same = [b for b in blocks if (b.info.split() or [""])[0].lower() in aliases]
    return max(same or blocks, key=lambda b: len(b.code)).code


def apply_baseline(case: Case) -> str | None:
    """Before issue 13: the longest block pasted over the selection, tree-sitter checked."""
    text, start, end = case.text, case.start, case.end
    original = text[start:end]
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    mid_line = bool(text[line_start:start].strip())
    eol = "\r\n" if "\r\n" in text else "\n"
    for answer in case.answers:
        code = _old_extract(answer, case.language)
        if code is None or not code.strip():
            continue
        replacement = fit_to_selection(code, original, mid_line, eol)
        new_text = text[:start] + replacement + text[end:]
        if not introduced_errors(text, new_text, case.language):
            return new_text
    return None


def _normal_lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def judge(case: Case, result: str | None) -> str:
    if result is None:
        return "exact" if case.expected is None else "refused"
    if case.expected is not None and result == case.expected:
        return "exact"
    same_code = case.expected is not None and _normal_lines(result) == _normal_lines(case.expected)
    # Same code, different blanks: inexact unless the language cares (Python indentation).
    if same_code and not syntax_problems(case.text, result, case.language):
        return "inexact"
    return "corrupt"


def run(show: str | None) -> dict[str, object]:
    per_shape: dict[str, dict[str, Counter[str]]] = defaultdict(
        lambda: {"new": Counter(), "baseline": Counter()}
    )
    totals = {"new": Counter(), "baseline": Counter()}
    languages: Counter[str] = Counter()
    appliers: dict[str, Callable[[Case], str | None]] = {
        "new": apply_new,
        "baseline": apply_baseline,
    }
    all_cases = list(cases())
    for case in all_cases:
        languages[case.language] += 1
        for which, apply in appliers.items():
            verdict = judge(case, apply(case))
            per_shape[case.shape][which][verdict] += 1
            totals[which][verdict] += 1
            if which == "new" and show and (show == "all" or verdict == show):
                print(f"--- {verdict}: {case.shape} / {case.name} ({case.action})")
                print(case.answers[0][:600])
    return {
        "cases": len(all_cases),
        "languages": dict(languages),
        "totals": {k: dict(v) for k, v in totals.items()},
        "shapes": {s: {k: dict(v) for k, v in counts.items()} for s, counts in per_shape.items()},
    }


def _cell(counts: dict[str, int]) -> str:
    n = sum(counts.values())
    return (
        f"{counts.get('exact', 0):>3}/{n:<3} ref {counts.get('refused', 0):>2} "
        f"cor {counts.get('corrupt', 0) + counts.get('inexact', 0):>2}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--show", choices=["corrupt", "refused", "inexact", "all"])
    args = parser.parse_args()
    figures = run(args.show)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"{figures['cases']} cases over {figures['languages']}")
        print(f"{'shape':<40} {'new (exact/n, refused, corrupt)':<32} baseline")
        shapes = figures["shapes"]
        assert isinstance(shapes, dict)
        for shape, counts in shapes.items():
            print(f"{shape:<40} {_cell(counts['new']):<32} {_cell(counts['baseline'])}")
        totals = figures["totals"]
        assert isinstance(totals, dict)
        for which in ("new", "baseline"):
            t = totals[which]
            n = sum(t.values())
            print(
                f"{which:>8}: exact {t.get('exact', 0)}/{n} ({t.get('exact', 0) / n:.1%}), "
                f"refused {t.get('refused', 0)}, corrupt {t.get('corrupt', 0)}, "
                f"inexact {t.get('inexact', 0)}"
            )
    new = figures["totals"]["new"]  # type: ignore[index]
    n = sum(new.values())
    ok = new.get("exact", 0) / n >= TARGET_EXACT and not new.get("corrupt", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
