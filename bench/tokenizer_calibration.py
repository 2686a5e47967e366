"""How far the fast token estimate is from Mistral's Tekken tokenizer, and how fast each is.

    bench/tokenizer_calibration.py DIR [DIR ...] [--json]

`count_tokens` uses Tekken itself (exact); `estimate_tokens` is the fallback used only when
the tokenizer cannot be loaded. Both are measured on 2,000-character chunks of the source
files under the given directories.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lsp_server.context.tokens import (  # noqa: E402
    _load,
    count_tokens,
    estimate_tokens,
    tokenizer_name,
)

SUFFIXES = {".py", ".js", ".ts", ".go", ".java", ".rs", ".c", ".h"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    _load()
    load_s = time.perf_counter() - started
    chunks: list[str] = []
    for directory in args.dirs:
        for path in sorted(directory.rglob("*")):
            if path.suffix in SUFFIXES and path.is_file() and "node_modules" not in path.parts:
                text = path.read_text(errors="replace")
                chunks.extend(text[i : i + 2000] for i in range(0, len(text), 2000))
    chunks = chunks[:5000]
    total_chars = sum(len(c) for c in chunks)
    t0 = time.perf_counter()
    exact = [count_tokens(c) for c in chunks]
    exact_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    estimate = [estimate_tokens(c) for c in chunks]
    estimate_s = time.perf_counter() - t0
    ratios = sorted(e / x for e, x in zip(estimate, exact, strict=True) if x)
    lines = [line for c in chunks[:500] for line in c.split("\n")]
    t0 = time.perf_counter()
    for line in lines:
        count_tokens(line + "\n")
    line_us = (time.perf_counter() - t0) / max(1, len(lines)) * 1e6
    result = {
        "tokenizer": tokenizer_name(),
        "load_seconds": round(load_s, 3),
        "chunks": len(chunks),
        "exact_mb_per_s": round(total_chars / exact_s / 1e6, 2),
        "estimate_mb_per_s": round(total_chars / estimate_s / 1e6, 2),
        "cached_line_count_us": round(line_us, 2),
        "estimate_over_exact": {
            "total": round(sum(estimate) / sum(exact), 3),
            "p05": round(ratios[int(0.05 * len(ratios))], 3),
            "p50": round(statistics.median(ratios), 3),
            "p95": round(ratios[int(0.95 * len(ratios))], 3),
            "share_below_exact": round(sum(r < 1 for r in ratios) / len(ratios), 3),
        },
    }
    print(json.dumps(result, indent=2) if args.json else result)


if __name__ == "__main__":
    main()
