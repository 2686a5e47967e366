"""Figures from the audit trail, per UTC day and in total: what was asked, sent, refused, kept.

Input is only what the records hold (never code): operations, models, origins, decisions,
byte and token counts, redaction counts by type, latencies, and the completion funnel events.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

FUNNEL = ("shown", "accepted", "partially_accepted")
#: Next-edit suggestions have their own funnel: a jump elsewhere is not ghost text.
NEXT_EDIT_FUNNEL = ("next_edit_shown", "next_edit_accepted", "next_edit_dismissed")


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`7d`, `12h`, `30m` before now, or an ISO date/time (UTC unless it says otherwise)."""
    now = now or datetime.now(UTC)
    m = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", text)
    if m:
        amount, unit = int(m.group(1)), m.group(2)
        delta = {"d": timedelta(days=amount), "h": timedelta(hours=amount)}.get(
            unit, timedelta(minutes=amount)
        )
        return now - delta
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: use 7d, 12h, 30m or a date like 2026-11-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Bucket:
    """Counts over one day (or the whole period)."""

    requests: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    by_model: Counter[str] = field(default_factory=Counter)
    by_origin: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)  # sent / blocked / failed
    reasons: Counter[str] = field(default_factory=Counter)  # blocked:policy, failed:timeout
    bytes_out: int = 0
    bytes_in: int = 0
    tokens_out: int = 0
    tokens_in: int = 0
    redacted: Counter[str] = field(default_factory=Counter)
    files_excluded: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    funnel: Counter[str] = field(default_factory=Counter)
    funnel_by_language: dict[str, Counter[str]] = field(default_factory=dict)
    accepted_chars: int = 0
    next_edit: Counter[str] = field(default_factory=Counter)

    def add(self, record: dict[str, Any]) -> None:
        if record.get("kind") == "event":
            self._add_event(record)
        elif "decision" in record:
            self._add_request(record)

    def _add_request(self, r: dict[str, Any]) -> None:
        self.requests += 1
        self.by_operation[str(r.get("operation", "?"))] += 1
        self.by_model[str(r.get("model", "?")) or "?"] += 1
        self.by_origin[str(r.get("origin", "?")) or "?"] += 1
        decision = str(r.get("decision", "?"))
        outcome = decision.split(":", 1)[0]
        self.outcomes[outcome] += 1
        if outcome != "sent":
            self.reasons[decision] += 1
        if decision == "blocked:excluded":
            self.files_excluded += 1
        self.bytes_out += _int(r.get("bytes_out"))
        self.bytes_in += _int(r.get("bytes_in"))
        usage = r.get("usage") if isinstance(r.get("usage"), dict) else {}
        assert isinstance(usage, dict)
        self.tokens_out += _int(usage.get("prompt_tokens"))
        self.tokens_in += _int(usage.get("completion_tokens"))
        redacted = r.get("redacted")
        if isinstance(redacted, dict):
            for kind, count in redacted.items():
                self.redacted[str(kind)] += _int(count)
        if outcome == "sent":
            latency = r.get("latency_ms")
            if isinstance(latency, int | float) and not isinstance(latency, bool):
                self.latencies_ms.append(float(latency))

    def _add_event(self, r: dict[str, Any]) -> None:
        event = str(r.get("event", ""))
        if event in NEXT_EDIT_FUNNEL:
            self.next_edit[event] += 1
            return
        if event not in FUNNEL:
            return
        self.funnel[event] += 1
        language = str(r.get("language", "other")) or "other"
        self.funnel_by_language.setdefault(language, Counter())[event] += 1
        self.accepted_chars += _int(r.get("accepted_chars"))

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "requests": self.requests,
            "by_operation": dict(self.by_operation.most_common()),
            "by_model": dict(self.by_model.most_common()),
            "by_origin": dict(self.by_origin.most_common()),
            "sent": self.outcomes.get("sent", 0),
            "blocked": self.outcomes.get("blocked", 0),
            "failed": self.outcomes.get("failed", 0),
            "reasons": dict(self.reasons.most_common()),
            "bytes_out": self.bytes_out,
            "bytes_in": self.bytes_in,
            "tokens_out": self.tokens_out,
            "tokens_in": self.tokens_in,
            "redacted": dict(self.redacted.most_common()),
            "files_excluded": self.files_excluded,
            "latency_ms": {
                "p50": percentile(self.latencies_ms, 50),
                "p95": percentile(self.latencies_ms, 95),
                "count": len(self.latencies_ms),
            },
            "funnel": {
                **{k: self.funnel.get(k, 0) for k in FUNNEL},
                "accepted_chars": self.accepted_chars,
                "acceptance_rate": _rate(self.funnel),
                "by_language": {
                    lang: {**{k: c.get(k, 0) for k in FUNNEL}, "acceptance_rate": _rate(c)}
                    for lang, c in sorted(self.funnel_by_language.items())
                },
            },
            "next_edit": {
                **{
                    k.removeprefix("next_edit_"): self.next_edit.get(k, 0) for k in NEXT_EDIT_FUNNEL
                },
                "acceptance_rate": _ratio(
                    self.next_edit.get("next_edit_accepted", 0),
                    self.next_edit.get("next_edit_shown", 0),
                ),
            },
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rate(counts: Counter[str]) -> float | None:
    """Accepted (fully or partly) per completion shown; None when nothing was shown."""
    shown = counts.get("shown", 0)
    if not shown:
        return None
    return round((counts.get("accepted", 0) + counts.get("partially_accepted", 0)) / shown, 4)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _day(record: dict[str, Any]) -> tuple[str, datetime] | None:
    raw = record.get("time")
    if not isinstance(raw, str):
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.astimezone(UTC).date().isoformat(), when


@dataclass
class Report:
    days: dict[str, Bucket] = field(default_factory=dict)
    total: Bucket = field(default_factory=Bucket)
    since: datetime | None = None
    records: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "records": self.records,
            "days": {day: b.summary() for day, b in sorted(self.days.items())},
            "total": self.total.summary(),
        }


def build(records: Iterable[dict[str, Any]], since: datetime | None = None) -> Report:
    report = Report(since=since)
    for record in records:
        stamped = _day(record)
        if stamped is None:
            continue
        day, when = stamped
        if since is not None and when < since:
            continue
        report.records += 1
        report.days.setdefault(day, Bucket()).add(record)
        report.total.add(record)
    return report


# --------------------------------------------------------------------------- text


def rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) rows of one summary, in the order the table prints them."""
    out: list[tuple[str, str]] = [("requests", str(summary["requests"]))]
    out += [(f"  operation {k}", str(v)) for k, v in summary["by_operation"].items()]
    out += [(f"  model {k}", str(v)) for k, v in summary["by_model"].items()]
    out += [(f"  origin {k}", str(v)) for k, v in summary["by_origin"].items()]
    out += [(k, str(summary[k])) for k in ("sent", "blocked", "failed")]
    out += [(f"  {k}", str(v)) for k, v in summary["reasons"].items()]
    out += [(k.replace("_", " "), str(summary[k])) for k in ("bytes_out", "bytes_in")]
    out += [(k.replace("_", " "), str(summary[k])) for k in ("tokens_out", "tokens_in")]
    out += [(f"secrets redacted {k}", str(v)) for k, v in summary["redacted"].items()]
    out.append(("files excluded", str(summary["files_excluded"])))
    latency = summary["latency_ms"]
    out.append(("latency p50 ms", _num(latency["p50"])))
    out.append(("latency p95 ms", _num(latency["p95"])))
    funnel = summary["funnel"]
    out += [(f"completions {k.replace('_', ' ')}", str(funnel[k])) for k in FUNNEL]
    out.append(("acceptance rate", _pct(funnel["acceptance_rate"])))
    next_edit = summary.get("next_edit") or {}
    if any(next_edit.get(k) for k in ("shown", "accepted", "dismissed")):
        out += [(f"next edits {k}", str(next_edit[k])) for k in ("shown", "accepted", "dismissed")]
        out.append(("next-edit acceptance rate", _pct(next_edit["acceptance_rate"])))
    return out


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def format_text(report: Report) -> str:
    """A plain-text table: one column per day, then the total."""
    data = report.to_dict()
    columns = [*data["days"].keys(), "total"]
    per_column = [dict(rows(s)) for s in [*data["days"].values(), data["total"]]]
    labels = [label for label, _ in rows(data["total"])]
    width = max([len(label) for label in labels] + [8])
    col = max([len(c) for c in columns] + [max(len(v) for r in per_column for v in r.values())])
    lines = [
        f"audit report: {data['records']} records"
        + (f" since {data['since']}" if data["since"] else ""),
        "",
        f"{'':<{width}}  " + "  ".join(f"{c:>{col}}" for c in columns),
    ]
    for label in labels:
        cells = [r.get(label, "0" if not label.startswith("latency") else "-") for r in per_column]
        lines.append(f"{label:<{width}}  " + "  ".join(f"{c:>{col}}" for c in cells))
    languages = data["total"]["funnel"]["by_language"]
    if languages:
        lines += ["", "acceptance by language (total)"]
        head = ["language", "shown", "accepted", "partially", "rate"]
        lines.append(f"{head[0]:<16}" + "".join(f"{h:>11}" for h in head[1:]))
        for lang, c in languages.items():
            cells = [
                str(c["shown"]),
                str(c["accepted"]),
                str(c["partially_accepted"]),
                _pct(c["acceptance_rate"]),
            ]
            lines.append(f"{lang:<16}" + "".join(f"{v:>11}" for v in cells))
    return "\n".join(lines) + "\n"
