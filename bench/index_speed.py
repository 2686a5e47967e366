"""Index speed on one tree, against universal-ctags as the baseline.

    python bench/index_speed.py [PATH] [--json] [--runs N]

Measures, in one run on the same tree (default: this interpreter's standard library,
without site-packages):
  - ctags:  `ctags -R` (universal-ctags), run right before each cold run, median wall time
  - cold:   RepoIndex.build() with an empty cache, in a fresh subprocess, median; its ratio
            to ctags is the median of the per-run ratios (each pair ran at the same load),
            and CPU seconds (user + sys of all processes) are compared as well
  - warm:   RepoIndex() + build() from that cache, in a fresh subprocess, median
  - rss:    peak resident memory of the cold indexer (its process and its workers)
  - update: p50 of RepoIndex.update_text after a one-line edit in a 6,000-line file
Targets: cold <= 4 x ctags, warm <= 0.5 s, update p50 <= 5 ms, peak RSS <= 350 MB.

    python bench/index_speed.py --scale 2000,20000,100000 [--copy]

How it scales: trees of N files made of the standard library's Python files repeated under
numbered directories (hard links unless --copy: the same real code, no disk cost; the page
cache then holds one copy, so reads are cheaper than on a real monorepo), each indexed cold
once and tagged by ctags once, with wall time and peak RSS of both.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from lsp_server.index.repo_index import IndexOptions, RepoIndex
started = time.perf_counter()
options = IndexOptions(cache_dir=Path(sys.argv[2]), workers=int(sys.argv[4]))
index = RepoIndex(Path(sys.argv[1]), options)
stats = index.build()
seconds = time.perf_counter() - started
index.close()
self_usage = resource.getrusage(resource.RUSAGE_SELF)
child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = sum(u.ru_utime + u.ru_stime for u in (self_usage, child_usage))
print(json.dumps({"seconds": seconds, "files": stats.files, "symbols": stats.symbols,
                  "cached": stats.cached_files, "rss_kb": self_usage.ru_maxrss,
                  "children_rss_kb": child_usage.ru_maxrss, "cpu": cpu}))
"""


def default_tree() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def run_ctags(tree: Path, runs: int) -> tuple[float, float, int]:
    ctags = shutil.which("ctags")
    if ctags is None:
        raise SystemExit("universal-ctags is required: apt-get install -y universal-ctags")
    times = []
    cpus = []
    lines = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tags"
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run(
                [ctags, "-R", "--exclude=site-packages", "--exclude=__pycache__", "-f", str(out),
                 str(tree)],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        with out.open("rb") as handle:
            lines = sum(1 for line in handle if not line.startswith(b"!_"))
    return statistics.median(times), statistics.median(cpus), lines


_CTAGS_CHILD = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "rss_kb": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""


def run_ctags_measured(tree: Path, out: Path) -> dict[str, float]:
    """ctags -R once, in a wrapper process that reports its wall time and peak RSS."""
    ctags = shutil.which("ctags") or "ctags"
    cmd = [ctags, "-R", "--exclude=__pycache__", "-f", str(out), str(tree)]
    result = subprocess.run(
        [sys.executable, "-c", _CTAGS_CHILD, *cmd], check=True, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def make_tree(dest: Path, files: int, copy: bool) -> int:
    """`files` Python files of the standard library, repeated under copy0/, copy1/, ..."""
    stdlib = default_tree()
    sources = sorted(
        p
        for p in stdlib.rglob("*.py")
        if "site-packages" not in p.parts and "__pycache__" not in p.parts
    )
    made = 0
    round_ = 0
    while made < files:
        for src in sources:
            if made >= files:
                break
            target = dest / f"copy{round_}" / src.relative_to(stdlib)
            target.parent.mkdir(parents=True, exist_ok=True)
            if copy:
                shutil.copyfile(src, target)
            else:
                os.link(src, target)
            made += 1
        round_ += 1
    return made


def scaling(sizes: list[int], copy: bool) -> list[dict[str, float]]:
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "tree"
            made = make_tree(tree, size, copy)
            ctags = run_ctags_measured(tree, Path(tmp) / "tags")
            cold = run_child(tree, Path(tmp) / "cache")
            rows.append(
                {
                    "files": made,
                    "indexed_files": cold["files"],
                    "symbols": cold["symbols"],
                    "ctags_seconds": round(ctags["seconds"], 2),
                    "ctags_rss_mb": round(ctags["rss_kb"] / 1024, 1),
                    "cold_seconds": round(cold["seconds"], 2),
                    "cold_vs_ctags": round(cold["seconds"] / ctags["seconds"], 2),
                    "cold_rss_mb": round(max(cold["rss_kb"], cold["children_rss_kb"]) / 1024, 1),
                    "cold_cpu_seconds": round(cold["cpu"], 2),
                    "ctags_cpu_seconds": round(ctags["cpu"], 2),
                    "cold_cpu_vs_ctags": round(cold["cpu"] / ctags["cpu"], 2),
                    "load_average": round(os.getloadavg()[0], 2),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def run_child(tree: Path, cache: Path, workers: int = 0) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(cache), str(ROOT), str(workers)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def six_thousand_lines(tree: Path) -> str:
    """A real 6,000-line Python file: the largest in the tree, topped up with others."""
    files = sorted(
        (p for p in tree.rglob("*.py") if "site-packages" not in p.parts),
        key=lambda p: p.stat().st_size,
        reverse=True,
    )
    lines: list[str] = []
    for path in files:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if content.count("\n    def ") < 50:
            continue  # skip data files (one huge string or table), keep real code
        lines.extend(content.splitlines(keepends=True))
        if len(lines) >= 6000:
            break
    if len(lines) < 6000:  # not a Python tree: synthesise one
        lines = [f"def function_{i}(a):\n    return a + {i}\n\n" for i in range(2000)]
    return "".join(lines[:6000])


_ASSIGN = re.compile(r"^(\s+)([A-Za-z_]\w*)( = )")


def measure_updates(cache: Path, edits: int = 101) -> tuple[float, float, int]:
    """p50 and p90 (ms) of update_text after one-line edits, and the definitions count."""
    from lsp_server.index.repo_index import IndexOptions, RepoIndex

    text = six_thousand_lines(default_tree())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "big.py").write_text(text)
        index = RepoIndex(root, IndexOptions(cache_dir=cache))
        index.build()
        index.update_text("big.py", text)
        lines = text.splitlines(keepends=True)
        candidates = [i for i, line in enumerate(lines) if _ASSIGN.match(line)]
        timings = []
        for step in range(edits):
            number = candidates[(step * 7919) % len(candidates)]
            original = lines[number]
            # the edit, then its undo: each is a one-line change from the previous text
            for line in (_ASSIGN.sub(r"\1\2_edited\3", original, count=1), original):
                lines[number] = line
                edited = "".join(lines)
                started = time.perf_counter()
                index.update_text("big.py", edited)
                timings.append(time.perf_counter() - started)
        count = len(index.file_definitions("big.py"))
        index.close()
    timings.sort()
    return timings[len(timings) // 2] * 1000, timings[int(len(timings) * 0.9)] * 1000, count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="Tree to index (default: the stdlib).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per measurement (median).")
    parser.add_argument("--scale", help="Comma-separated tree sizes in files (e.g. 2000,20000).")
    parser.add_argument("--copy", action="store_true", help="Copy files instead of hard links.")
    args = parser.parse_args(argv)
    if args.scale:
        rows = scaling([int(n) for n in args.scale.split(",")], args.copy)
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        print(f"{'files':>7} {'ctags s':>8} {'ctags MB':>9} {'cold s':>8} {'× ctags':>8} "
              f"{'cold MB':>8} {'CPU s (ctags/cold)':>19} {'CPU ×':>6}")  # fmt: skip
        for r in rows:
            cpu = f"{r['ctags_cpu_seconds']}/{r['cold_cpu_seconds']}"
            print(f"{r['files']:>7} {r['ctags_seconds']:>8} {r['ctags_rss_mb']:>9} "
                  f"{r['cold_seconds']:>8} {r['cold_vs_ctags']:>8} {r['cold_rss_mb']:>8} "
                  f"{cpu:>19} {r['cold_cpu_vs_ctags']:>6}")  # fmt: skip
        return 0
    tree = Path(args.path).resolve() if args.path else default_tree()

    colds, warms, rss, cold_cpus = [], [], [], []
    ctags_times, ctags_cpus, ratios = [], [], []
    files = symbols = cached = ctags_tags = 0
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            # ctags right before each cold run: the pair sees the same load on a shared machine
            seconds, cpu, ctags_tags = run_ctags(tree, 1)
            ctags_times.append(seconds)
            ctags_cpus.append(cpu)
            cache = Path(tmp) / f"cache{run}"
            cold = run_child(tree, cache)
            ratios.append(cold["seconds"] / seconds)
            colds.append(cold["seconds"])
            cold_cpus.append(cold["cpu"])
            rss.append(max(cold["rss_kb"], cold["children_rss_kb"]) / 1024)
            files, symbols = int(cold["files"]), int(cold["symbols"])
            warm = run_child(tree, cache)
            warms.append(warm["seconds"])
            cached = int(warm["cached"])
        serial = run_child(tree, Path(tmp) / "serial", workers=1)  # does the pool help?
        p50, p90, doc_defs = measure_updates(Path(tmp) / "incremental")

    ctags_s, ctags_cpu = statistics.median(ctags_times), statistics.median(ctags_cpus)
    figures = {
        "tree": str(tree),
        "files": files,
        "symbols": symbols,
        "ctags_seconds": round(ctags_s, 3),
        "ctags_tags": ctags_tags,
        "cold_seconds": round(statistics.median(colds), 3),
        "cold_vs_ctags": round(statistics.median(ratios), 2),
        "cold_vs_ctags_runs": [round(r, 2) for r in ratios],
        "cold_serial_seconds": round(serial["seconds"], 3),
        "ctags_cpu_seconds": round(ctags_cpu, 3),
        "cold_cpu_seconds": round(statistics.median(cold_cpus), 3),
        "cold_cpu_vs_ctags": round(statistics.median(cold_cpus) / ctags_cpu, 2),
        "load_average": round(os.getloadavg()[0], 2),
        "warm_seconds": round(statistics.median(warms), 3),
        "warm_cached_files": cached,
        "peak_rss_mb": round(max(rss), 1),
        "update_p50_ms": round(p50, 2),
        "update_p90_ms": round(p90, 2),
        "update_file_definitions": doc_defs,
        "cpus": os.cpu_count(),
        "runs": args.runs,
    }
    targets = {
        "cold_vs_ctags": figures["cold_vs_ctags"] <= 4.0,
        "warm_seconds": figures["warm_seconds"] <= 0.5,
        "update_p50_ms": figures["update_p50_ms"] <= 5.0,
        "peak_rss_mb": figures["peak_rss_mb"] <= 350,
    }
    figures["targets_met"] = targets
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"tree: {tree}  ({files} files, {symbols} symbols; ctags: {ctags_tags} tags)")
    print(f"  ctags -R          {ctags_s:7.3f} s")
    print(f"  cold index        {figures['cold_seconds']:7.3f} s   "
          f"{figures['cold_vs_ctags']:.2f} x ctags (target <= 4; median of the runs' "
          f"ratios {figures['cold_vs_ctags_runs']})")  # fmt: skip
    print(f"  cold, 1 process   {figures['cold_serial_seconds']:7.3f} s   (without the pool)")
    print(f"  CPU time          ctags {ctags_cpu:.2f} s, cold index "
          f"{figures['cold_cpu_seconds']:.2f} s (all processes: "
          f"{figures['cold_cpu_vs_ctags']:.2f} x); "
          f"load average {figures['load_average']}")  # fmt: skip
    print(f"  warm start        {figures['warm_seconds']:7.3f} s   (target <= 0.5 s)")
    print(f"  peak RSS          {figures['peak_rss_mb']:7.1f} MB  (target <= 350 MB)")
    print(f"  update_text p50   {p50:7.2f} ms  p90 {p90:.2f} ms (target p50 <= 5 ms)")
    missed = [name for name, ok in targets.items() if not ok]
    print("  targets: " + ("all met" if not missed else "missed " + ", ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
