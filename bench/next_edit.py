"""Next-edit suggestions: does the server derive exactly the intended edit, cheaply, once?

Drives the real server over stdio against the fake endpoint, whose chat answer plays the model:
it returns the window it was shown with the intended next edit applied. For each scripted edit
sequence (Python, TypeScript, Go: rename propagation, signature change → call sites, mirrored
branches, a new field → constructor/repr, an import added after its first use) the user's edit
is sent as didChange, the client asks `textDocument/copilotInlineEdit` after the pause, applies
what it gets as an editor does on accept, and runs the accept command.

Figures: exact (location, range, text) rate (target ≥ 98%), edits applied outside the suggested
ranges (target 0), overhead per suggestion with an instant model — request to answer, wall p50
(target ≤ 10 ms) and the server's CPU time per suggestion — and, over typing bursts where the
client asks after every keystroke, model requests per burst (≤ 1) and during typing (0).

    python bench/next_edit.py [--bursts 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lsprotocol import types  # noqa: E402

from fixtures.fake_mistral import FakeMistral  # noqa: E402
from tests.lsp_harness import (  # noqa: E402
    endpoint_options,
    isolated_env,
    open_document,
    start_server,
    stop_server,
)

DEBOUNCE_MS = 120
MARK = re.compile(r"\[\[(.*?)->(.*?)\]\]", re.DOTALL)

# Each template is the document right after the user's edit, with the intended next edit(s)
# written as [[old->new]] (the minimal replacement, whole words), and the user's edit as
# (text after it, text before it). {n} varies names, {fill} puts distance between the parts.
TEMPLATES: dict[tuple[str, str], tuple[str, tuple[str, str]]] = {
    ("python", "rename"): (
        "def scale{n}(amount, factor):\n{fill}    result = [[value->amount]] * factor\n"
        "    return result\n",
        ("(amount, factor)", "(value, factor)"),
    ),
    ("python", "signature"): (
        'def greet{n}(name, punct):\n    return "hi " + name\n\n{fill}\n'
        'print(greet{n}("ada"[[->, "!"]]))\n',
        ("(name, punct)", "(name)"),
    ),
    ("python", "mirror"): (
        'def speed{n}(mode, base):\n    if mode == "fast":\n{fill}        speed = limit(base * 2)\n'
        "    else:\n        speed = [[base / 2->limit(base / 2)]]\n    return speed\n",
        ("limit(base * 2)", "base * 2"),
    ),
    ("python", "field"): (
        "class Point{n}:\n    def __init__(self, x, y, z):\n        self.x = x\n"
        "        self.y = y\n[[->        self.z = z\n]]\n{fill}    def __repr__(self):\n"
        '        return f"Point({{self.x}}, {{self.y}}[[->, {{self.z}}]])"\n',
        ("(self, x, y, z)", "(self, x, y)"),
    ),
    ("python", "import"): (
        "import os\n[[->import json\n]]\n\n{fill}def load{n}(path):\n"
        "    return json.dumps(os.path.exists(path))\n",
        ("json.dumps(os.path.exists(path))", "os.path.exists(path)"),
    ),
    ("typescript", "rename"): (
        "function scale{n}(amount: number, factor: number): number {\n{fill}"
        "  const result = [[value->amount]] * factor;\n  return result;\n}\n",
        ("(amount: number,", "(value: number,"),
    ),
    ("typescript", "signature"): (
        'function greet{n}(name: string, punct: string): string {\n  return "hi " + name;\n}\n'
        '{fill}\nconsole.log(greet{n}("ada"[[->, "!"]]));\n',
        ("name: string, punct: string", "name: string"),
    ),
    ("typescript", "mirror"): (
        "function speed{n}(mode: string, base: number): number {\n  let speed = 0;\n"
        '  if (mode === "fast") {\n{fill}    speed = limit(base * 2);\n  } else {\n'
        "    speed = [[base / 2->limit(base / 2)]];\n  }\n  return speed;\n}\n",
        ("limit(base * 2)", "base * 2"),
    ),
    ("typescript", "field"): (
        "class Point{n} {\n  constructor(public x: number, public y: number, public z: number) {}\n"
        "{fill}  toString(): string {\n"
        "    return `Point(${{this.x}}, ${{this.y}}[[->, ${{this.z}}]])`;\n"
        "  }\n}\n",
        (", public z: number) {}", ") {}"),
    ),
    ("typescript", "import"): (
        'import {{ readFileSync }} from "fs";\n[[->import {{ join }} from "path";\n]]\n{fill}'
        "export function load{n}(dir: string, p: string): string {\n"
        '  return readFileSync(join(dir, p), "utf8");\n}\n',
        ("readFileSync(join(dir, p),", "readFileSync(p,"),
    ),
    ("go", "rename"): (
        "package main\n\nfunc scale{n}(amount int, factor int) int {\n{fill}"
        "\tresult := [[value->amount]] * factor\n\treturn result\n}\n",
        ("(amount int,", "(value int,"),
    ),
    ("go", "signature"): (
        "package main\n\nfunc greet{n}(name string, punct string) string {\n"
        '\treturn "hi " + name\n}\n'
        '{fill}\nfunc main() {{\n\tprintln(greet{n}("ada"[[->, "!"]]))\n}}\n',
        ("name string, punct string", "name string"),
    ),
    ("go", "mirror"): (
        "package main\n\nfunc speed{n}(mode string, base int) int {\n\tspeed := 0\n"
        '\tif mode == "fast" {{\n{fill}\t\tspeed = limit(base * 2)\n\t}} else {{\n'
        "\t\tspeed = [[base / 2->limit(base / 2)]]\n\t}}\n\treturn speed\n}\n",
        ("limit(base * 2)", "base * 2"),
    ),
    ("go", "field"): (
        "package main\n\ntype Point{n} struct {{\n\tX int\n\tY int\n\tZ int\n}}\n{fill}\n"
        "func NewPoint{n}(x int, y int[[->, z int]]) Point{n} {{\n"
        "\treturn Point{n}{{X: x, Y: y[[->, Z: z]]}}\n}}\n",
        ("\tY int\n\tZ int\n", "\tY int\n"),
    ),
    ("go", "import"): (
        'package main\n\nimport "fmt"\n[[->import "os"\n]]\n{fill}func main{n}() {{\n'
        "\tfmt.Println(os.Args)\n}}\n",
        ("fmt.Println(os.Args)", 'fmt.Println("x")'),
    ),
}
EXTENSIONS = {"python": "py", "typescript": "ts", "go": "go"}
COMMENT = {"python": "#", "typescript": "//", "go": "//"}


@dataclass
class Case:
    name: str
    language: str
    before: str  # before the user's edit
    user: str  # after it
    final: str  # after the intended next edit
    cursor: int  # where the user's edit ends
    expected: list[tuple[int, int, str]]  # offsets into `user`


def make_case(language: str, kind: str, variant: int) -> Case:
    template, (after, before) = TEMPLATES[(language, kind)]
    fill = "".join(f"{COMMENT[language]} note {k}\n" for k in range(variant * 4))
    if language != "python":
        fill = fill.replace("{", "").replace("}", "")
    marked = template.replace("{fill}", "\0").replace("{n}", "\1")
    marked = marked.replace("{{", "{").replace("}}", "}").replace("\0", fill)
    marked = marked.replace("\1", str(variant) if variant else "")
    user, final, expected, pos = "", "", [], 0
    for m in MARK.finditer(marked):
        chunk = marked[pos : m.start()]
        user += chunk
        final += chunk
        expected.append((len(user), len(user) + len(m.group(1)), m.group(2)))
        user += m.group(1)
        final += m.group(2)
        pos = m.end()
    user += marked[pos:]
    final += marked[pos:]
    at = user.index(after)
    original = user[:at] + before + user[at + len(after) :]
    return Case(
        f"{language}/{kind}/{variant}", language, original, user, final, at + len(after), expected
    )


def all_cases(variants: int = 4) -> list[Case]:
    return [make_case(lang, kind, v) for (lang, kind) in TEMPLATES for v in range(variants)]


def responder_for(cases: dict[str, Case]) -> Any:
    """The model: the window it was shown, with the intended edits inside it applied."""

    def answer(body: dict[str, Any]) -> str:
        prompt = body["messages"][-1]["content"]
        window = re.findall(r"```[a-z]*\n(.*?)\n```", prompt, re.DOTALL)[-1]
        window = window.replace("<|cursor|>", "")
        for case in cases.values():
            at = case.user.find(window)
            if at < 0 or window != case.user[at : at + len(window)]:
                continue
            out = window
            for start, end, new in sorted(case.expected, reverse=True):
                if at <= start and end <= at + len(window):
                    out = out[: start - at] + new + out[end - at :]
            return f"```\n{out}```"
        return "```\n" + window + "```"

    return answer


def position(text: str, offset: int) -> dict[str, int]:
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def offset(text: str, pos: dict[str, int]) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: pos["line"]]) + pos["character"]


def plain(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def full_change(uri: str, version: int, old: str, new: str) -> types.DidChangeTextDocumentParams:
    """One incremental change covering what differs between `old` and `new`."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    eo, en = len(old), len(new)
    while eo > start and en > start and old[eo - 1] == new[en - 1]:
        eo, en = eo - 1, en - 1
    s, e = position(old, start), position(old, eo)
    rng = types.Range(types.Position(**s), types.Position(**e))
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=rng, text=new[start:en])],
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def ask(client: Any, uri: str, version: int, pos: dict[str, int]) -> list[dict[str, Any]]:
    params = {"textDocument": {"uri": uri, "version": version}, "position": pos}
    result = await client.protocol.send_request_async("textDocument/copilotInlineEdit", params)
    return list(plain(result)["edits"])


async def run(bursts: int) -> dict[str, Any]:
    cases = all_cases()
    with tempfile.TemporaryDirectory() as tmp, FakeMistral() as fake:
        root = Path(tmp) / "ws"
        root.mkdir()
        env = isolated_env(Path(tmp))
        fake.chat_responder = responder_for({c.name: c for c in cases})
        audit = Path(tmp) / "audit.jsonl"
        options = endpoint_options(
            fake.url, nextEdit={"debounceMs": DEBOUNCE_MS}, privacy={"auditPath": str(audit)}
        )
        client = await start_server(root=root, env=env, init_options=options)
        pid = client._server.pid
        try:
            await asyncio.sleep(1.0)  # let the initial index settle
            exact, outside, wall, failures, cpu = 0, 0, [], [], 0.0
            baseline = []  # the same request where no model is asked: the JSON-RPC floor
            for i, case in enumerate(cases):
                path = root / f"case{i}.{EXTENSIONS[case.language]}"
                path.write_text(case.before)
                uri = open_document(client, path, case.before, case.language)
                started = time.perf_counter()
                await ask(client, uri, 1, position(case.before, 0))  # no history yet
                baseline.append(time.perf_counter() - started)
                client.text_document_did_change(full_change(uri, 2, case.before, case.user))
                await asyncio.sleep(DEBOUNCE_MS / 1000 + 0.03)
                cpu_before, started = cpu_seconds(pid), time.perf_counter()
                edits = await ask(client, uri, 2, position(case.user, case.cursor))
                wall.append(time.perf_counter() - started)
                cpu += cpu_seconds(pid) - cpu_before
                got = [
                    (
                        offset(case.user, e["range"]["start"]),
                        offset(case.user, e["range"]["end"]),
                        e["text"],
                    )
                    for e in edits
                ]
                applied = case.user
                for start, end, new in sorted(got, reverse=True):
                    applied = applied[:start] + new + applied[end:]
                if sorted(got) == sorted(case.expected) and applied == case.final:
                    exact += 1
                else:
                    failures.append({"case": case.name, "got": got, "expected": case.expected})
                outside += _outside(case.user, applied, got)
                if edits:
                    client.text_document_did_change(full_change(uri, 3, case.user, applied))
                    cmd = edits[0]["command"]
                    await client.workspace_execute_command_async(
                        types.ExecuteCommandParams(
                            command=cmd["command"], arguments=cmd["arguments"]
                        )
                    )
            model = _model_latencies(audit)
            chat_requests = len(fake.requests_for("chat"))
            burst = await _bursts(client, root, fake, bursts)
        finally:
            await stop_server(client)
    return {
        "cases": len(cases),
        "exact": exact,
        "exact_rate": round(exact / len(cases), 4),
        "applied_outside_range": outside,
        "model_requests": chat_requests,
        "request_wall_ms_p50": _ms(statistics.median(wall)),
        "model_ms_p50": _ms(statistics.median(model)) if model else None,
        "overhead_wall_ms_p50": _ms(
            statistics.median(w - m for w, m in zip(wall, model, strict=False))
        ),
        "jsonrpc_floor_ms_p50": _ms(statistics.median(baseline)),
        "server_cpu_ms_per_suggestion": _ms(cpu / len(cases)),
        **burst,
        "failures": failures[:5],
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _model_latencies(audit: Path) -> list[float]:
    """The endpoint's time per chat request as the server measured it (its audit records)."""
    out = []
    for line in audit.read_text().splitlines():
        record = json.loads(line)
        if record.get("operation") == "chat" and record.get("decision") == "sent":
            out.append(float(record["latency_ms"]) / 1000)
    return out


def _outside(before: str, after: str, edits: list[tuple[int, int, str]]) -> int:
    """1 when the text changed anywhere the suggested ranges do not cover, else 0."""
    if before == after:
        return 0
    prefix = 0
    while prefix < min(len(before), len(after)) and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < min(len(before), len(after)) - prefix and before[-1 - suffix] == after[-1 - suffix]
    ):
        suffix += 1
    lo, hi = prefix, len(before) - suffix
    starts = [s for s, _, _ in edits]
    ends = [e for _, e, _ in edits]
    return 0 if edits and min(starts) <= lo and hi <= max(ends) else 1


async def _bursts(client: Any, root: Path, fake: FakeMistral, bursts: int) -> dict[str, Any]:
    """Type a word per burst at 40 ms a key, asking after every key, then pause."""
    text = "def total(values):\n    return sum(values)\n\n\nprint(total([1, 2]))\n"
    during, per_burst = 0, []
    for b in range(bursts):
        path = root / f"burst{b}.py"
        path.write_text(text)
        uri = open_document(client, path, text, "python")
        current, version = text, 1
        before = len(fake.requests_for("chat"))
        pending = []
        for ch in "items_list":
            version += 1
            at = current.index("values")
            new = current[:at] + ch + current[at:]
            client.text_document_did_change(full_change(uri, version, current, new))
            current = new
            pending.append(
                asyncio.ensure_future(ask(client, uri, version, position(current, at + 1)))
            )
            await asyncio.sleep(0.04)
        during += len(fake.requests_for("chat")) - before
        await asyncio.gather(*pending)
        await asyncio.sleep(DEBOUNCE_MS / 1000 + 0.05)
        await ask(client, uri, version, position(current, 12))
        per_burst.append(len(fake.requests_for("chat")) - before)
    return {
        "bursts": bursts,
        "requests_per_burst_max": max(per_burst),
        "requests_while_typing": during,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(run(args.bursts))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:32} {value}")
    ok = (
        figures["exact_rate"] >= 0.98
        and figures["applied_outside_range"] == 0
        and figures["overhead_wall_ms_p50"] <= 10
        and figures["requests_per_burst_max"] <= 1
        and figures["requests_while_typing"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
