"""The report to look at: one self-contained HTML file (no network, no script from
elsewhere), its charts drawn as inline SVG from the ledger's rows."""

from collections import defaultdict
from html import escape

from dunning.contract.enums import Outcome
from dunning.contract.money import format_amount
from dunning.providers.ledger import LedgerEntry
from dunning.views.finance import FinanceKpis, days_open

WIDTH, HEIGHT, PAD = 640, 260, 40
CURVE_DAYS = 60
COLORS = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777")
CHECK_DRAWN = """
<script>
  // Counts the charts the browser really laid out (a test reads it back from the DOM).
  const drawn = [...document.querySelectorAll("svg.chart")]
    .filter((svg) => svg.getBBox().width > 0 && svg.querySelectorAll("rect,polyline").length);
  document.body.dataset.chartsDrawn = String(drawn.length);
</script>
"""


def render_html(kpis: FinanceKpis, entries: list[LedgerEntry]) -> str:
    """The whole report: the KPIs, and the four charts."""
    cases = [e for e in entries if e.kind == "dunning" and kpis.since <= e.opened_at < kpis.until]
    sections = [
        _figures(kpis),
        _chart("Recovery curve: share recovered by day since failure", _curve(cases)),
        _chart("Money recovered against money at risk", _money(kpis)),
        _chart("Open receivables by days past due", _aging(kpis)),
        _chart("Funnel: retried, emailed, routed, recovered", _funnel(cases)),
    ]
    title = f"Dunning report {kpis.since:%Y-%m-%d} to {kpis.until:%Y-%m-%d}"
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{''.join(sections)}{CHECK_DRAWN}</body></html>\n"
    )


STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2em;color:#111}"
    "h2{font-size:16px;margin-top:2em}table{border-collapse:collapse}"
    "td,th{padding:2px 10px;text-align:right}svg{background:#fafafa}"
    "text{font-size:11px;fill:#333}"
)


def _figures(kpis: FinanceKpis) -> str:
    rows = [
        ("cases opened", str(kpis.opened)),
        ("recovered / closed", f"{kpis.overall.recovered} / {kpis.overall.closed}"),
        ("median days to recovery", _num(kpis.median_days_to_recovery)),
        ("automated resolution rate", _pct(kpis.automated_resolution_rate)),
        ("involuntary churn rate", _pct(kpis.involuntary_churn_rate)),
        ("charges per recovery", _num(kpis.charges_per_recovery)),
        ("emails per recovery", _num(kpis.emails_per_recovery)),
        ("history events per case", _num(kpis.history_events_per_case)),
    ]
    for currency, days in kpis.dso_days.items():
        rows.append((f"DSO ({currency})", _num(days, " days")))
        rows.append((f"CEI ({currency})", _num(kpis.cei.get(currency), "%")))
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<h2>Figures</h2><table>{cells}</table>"


def _chart(title: str, svg: str) -> str:
    return f"<h2>{escape(title)}</h2>{svg}"


def _svg(body: str) -> str:
    return (
        f'<svg class=chart xmlns="http://www.w3.org/2000/svg" width={WIDTH} height={HEIGHT} '
        f'viewBox="0 0 {WIDTH} {HEIGHT}">{body}</svg>'
    )


def _curve(cases: list[LedgerEntry]) -> str:
    """Per category: the share of its cases recovered by each day since they opened."""
    groups: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in cases:
        groups[entry.category or "unclassified"].append(entry)
    plot_w, plot_h = WIDTH - 2 * PAD - 190, HEIGHT - 2 * PAD
    body = [_axes(plot_w, plot_h, f"day {CURVE_DAYS}", "100%")]
    for index, (category, members) in enumerate(sorted(groups.items())):
        color = COLORS[index % len(COLORS)]
        days = [
            days_open(e)
            for e in members
            if e.outcome == Outcome.RECOVERED and e.closed_at is not None
        ]
        points = []
        for day in range(CURVE_DAYS + 1):
            share = sum(1 for d in days if d <= day) / len(members)
            x = PAD + plot_w * day / CURVE_DAYS
            y = PAD + plot_h * (1 - share)
            points.append(f"{x:.1f},{y:.1f}")
        body.append(
            f'<polyline fill=none stroke="{color}" stroke-width=2 points="{" ".join(points)}"/>'
        )
        body.append(
            f'<text x={PAD + plot_w + 10} y={PAD + 14 * index + 10} style="fill:{color}">'
            f"{escape(category)} ({len(members)})</text>"
        )
    return _svg("".join(body))


def _bars(bars: list[tuple[str, float, str]], label_of: dict[str, str]) -> str:
    """Labelled bars, scaled to the tallest."""
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    tallest = max((value for _, value, _ in bars), default=0) or 1
    step = plot_w / max(len(bars), 1)
    body = [_axes(plot_w, plot_h, "", "")]
    for index, (name, value, color) in enumerate(bars):
        height = plot_h * value / tallest
        x, y = PAD + index * step + step * 0.15, PAD + plot_h - height
        body.append(
            f"<rect x={x:.1f} y={y:.1f} width={step * 0.7:.1f} height={max(height, 0.5):.1f} "
            f'fill="{color}"><title>{escape(label_of.get(name, name))}</title></rect>'
        )
        body.append(f"<text x={x:.1f} y={PAD + plot_h + 14}>{escape(name)}</text>")
        body.append(f"<text x={x:.1f} y={y - 4:.1f}>{escape(label_of.get(name, ''))}</text>")
    return _svg("".join(body))


def _money(kpis: FinanceKpis) -> str:
    bars, labels = [], {}
    for currency, due in sorted(kpis.overall.due_by_currency.items()):
        won = kpis.overall.recovered_by_currency.get(currency, 0)
        bars += [
            (f"{currency} at risk", float(due), COLORS[1]),
            (f"{currency} recovered", float(won), COLORS[2]),
        ]
        labels[f"{currency} at risk"] = format_amount(due, currency)
        labels[f"{currency} recovered"] = format_amount(won, currency)
    return _bars(bars, labels)


def _aging(kpis: FinanceKpis) -> str:
    bars, labels = [], {}
    for currency, buckets in kpis.aging.items():
        for bucket, amount in buckets.items():
            name = f"{currency} {bucket}"
            bars.append((name, float(amount), COLORS[3]))
            labels[name] = format_amount(amount, currency)
    return _bars(bars, labels)


def _funnel(cases: list[LedgerEntry]) -> str:
    steps = [
        ("opened", len(cases)),
        ("retried", sum(1 for e in cases if e.attempts)),
        ("emailed", sum(1 for e in cases if e.emails)),
        ("routed", sum(1 for e in cases if e.routes)),
        ("recovered", sum(1 for e in cases if e.outcome == Outcome.RECOVERED)),
    ]
    bars = [(name, float(count), COLORS[0]) for name, count in steps]
    return _bars(bars, {name: str(count) for name, count in steps})


def _axes(width: float, height: float, x_label: str, y_label: str) -> str:
    return (
        f'<line x1={PAD} y1={PAD + height} x2={PAD + width} y2={PAD + height} stroke="#999"/>'
        f'<line x1={PAD} y1={PAD} x2={PAD} y2={PAD + height} stroke="#999"/>'
        f"<text x={PAD + width - 30} y={PAD + height + 28}>{escape(x_label)}</text>"
        f"<text x=4 y={PAD + 4}>{escape(y_label)}</text>"
    )


def _num(value: float | None, unit: str = "") -> str:
    return f"{value:g}{unit}" if value is not None else "n/a"


def _pct(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "n/a"
