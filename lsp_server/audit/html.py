"""`audit report --html`: one self-contained page with inline SVG charts.

No script, no stylesheet or font from anywhere: the page opens offline on an air-gapped
admin machine and can be mailed as one file. Every value is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from lsp_server.audit.report import Report, rows

LATENCY_BINS_MS = (25, 50, 100, 200, 400, 800, 1600, 3200)
COLORS = {"sent": "#2e7d32", "blocked": "#c62828", "failed": "#ef6c00"}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right;white-space:nowrap}
td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:2em}
figure{margin:0}figcaption{font-weight:600;margin-bottom:.4em}
svg text{font-size:11px;fill:#333}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}
"""


def render(report: Report, title: str = "mistral-lsp audit report") -> str:
    data = report.to_dict()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{data['records']} records"
        + (f" since {escape(data['since'])}" if data["since"] else "")
        + ". Nothing here contains code or keys: only counts from the audit trail.</p>",
        '<div class="charts">',
        _figure("Requests per day", _requests_per_day(data)),
        _figure("Acceptance rate per language", _acceptance(data)),
        _figure("Latency of sent requests (ms)", _latency(report)),
        "</div>",
        "<h2>Figures per day</h2>",
        _table(data),
        "<h2>Acceptance by language</h2>",
        _language_table(data),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>{svg}</figure>"


def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">'
        + "".join(body)
        + "</svg>"
    )


def _empty(width: int, height: int, label: str) -> str:
    text = f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">no data</text>'
    return _svg(width, height, [text], label)


def _requests_per_day(data: dict[str, Any]) -> str:
    days = data["days"]
    width, height, left, bottom, top = 520, 260, 40, 40, 24
    if not days:
        return _empty(width, height, "requests per day")
    peak = max(max(d["requests"] for d in days.values()), 1)
    plot_w, plot_h = width - left - 10, height - bottom - top
    step = plot_w / len(days)
    bar = max(2.0, step * 0.7)
    body = [_axis(left, top, plot_w, plot_h, peak)]
    for i, (day, s) in enumerate(days.items()):
        x = left + i * step + (step - bar) / 2
        y = top + plot_h
        for outcome in ("sent", "blocked", "failed"):
            count = s[outcome]
            if not count:
                continue
            h = plot_h * count / peak
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLORS[outcome]}"><title>{escape(day)} {outcome}: {count}</title></rect>'
            )
        if len(days) <= 14 or i % max(1, len(days) // 10) == 0:
            body.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
    legend = "".join(
        f'<rect x="{left + 90 * i}" y="4" width="10" height="10" fill="{color}"/>'
        f'<text x="{left + 90 * i + 14}" y="13">{name}</text>'
        for i, (name, color) in enumerate(COLORS.items())
    )
    body.append(legend)
    return _svg(width, height, body, "requests per day")


def _axis(left: int, top: int, plot_w: float, plot_h: float, peak: float) -> str:
    lines = [
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#999"/>',
    ]
    for frac in (0.5, 1.0):
        y = top + plot_h * (1 - frac)
        value = peak * frac
        label = f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"
        lines.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            'stroke="#eee"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{label}</text>'
        )
    return "".join(lines)


def _acceptance(data: dict[str, Any]) -> str:
    languages = {
        lang: c
        for lang, c in data["total"]["funnel"]["by_language"].items()
        if c["acceptance_rate"] is not None
    }
    width, row, left = 460, 24, 110
    height = max(80, 30 + row * len(languages))
    if not languages:
        return _empty(width, height, "acceptance rate per language")
    plot_w = width - left - 100
    body = []
    for i, (lang, c) in enumerate(languages.items()):
        y = 10 + i * row
        rate = min(1.0, c["acceptance_rate"])
        body.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{escape(lang)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{plot_w}" height="{row - 8}" fill="#eee"/>'
            f'<rect x="{left}" y="{y + 3}" width="{plot_w * rate:.1f}" height="{row - 8}" '
            f'fill="#1565c0"><title>{escape(lang)}: {c["shown"]} shown</title></rect>'
            f'<text x="{left + plot_w + 6}" y="{y + 14}">{rate * 100:.0f}% of '
            f"{c['shown']}</text>"
        )
    return _svg(width, height, body, "acceptance rate per language")


def _latency(report: Report) -> str:
    values = report.total.latencies_ms
    width, height, left, bottom, top = 420, 260, 40, 40, 16
    if not values:
        return _empty(width, height, "latency distribution")
    edges = [0, *LATENCY_BINS_MS]
    counts = [0] * (len(edges))
    for v in values:
        idx = next((i for i, edge in enumerate(LATENCY_BINS_MS) if v < edge), len(edges) - 1)
        counts[idx] += 1
    labels = [f"<{e}" for e in LATENCY_BINS_MS] + [f"≥{LATENCY_BINS_MS[-1]}"]
    peak = max(counts)
    plot_w, plot_h = width - left - 10, height - bottom - top
    step = plot_w / len(counts)
    body = [_axis(left, top, plot_w, plot_h, peak)]
    for i, (count, label) in enumerate(zip(counts, labels, strict=True)):
        h = plot_h * count / peak
        x = left + i * step + step * 0.1
        body.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.8:.1f}" '
            f'height="{h:.1f}" fill="#6a1b9a"><title>{escape(label)} ms: {count}</title></rect>'
            f'<text x="{x + step * 0.4:.1f}" y="{top + plot_h + 14}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return _svg(width, height, body, "latency distribution")


def _table(data: dict[str, Any]) -> str:
    columns = [*data["days"].keys(), "total"]
    per_column = [dict(rows(s)) for s in [*data["days"].values(), data["total"]]]
    out = ["<table><tr><th></th>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"]
    for label, _ in rows(data["total"]):
        cells = "".join(f"<td>{escape(r.get(label, '0'))}</td>" for r in per_column)
        out.append(f"<tr><td>{escape(label.strip())}</td>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _language_table(data: dict[str, Any]) -> str:
    languages = data["total"]["funnel"]["by_language"]
    if not languages:
        return "<p>No completion events yet.</p>"
    out = [
        "<table><tr><th>language</th><th>shown</th><th>accepted</th>"
        "<th>partially accepted</th><th>rate</th></tr>"
    ]
    for lang, c in languages.items():
        rate = "-" if c["acceptance_rate"] is None else f"{c['acceptance_rate'] * 100:.1f}%"
        out.append(
            f"<tr><td>{escape(lang)}</td><td>{c['shown']}</td><td>{c['accepted']}</td>"
            f"<td>{c['partially_accepted']}</td><td>{rate}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)
