"""Any dashboard as CSV, and as a PDF report for a scrutiny meeting."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fpdf import FPDF

from shopwatch.core.csvexport import csv_writer

from .charts import change_text
from .selectors import Dashboard, Figure

if TYPE_CHECKING:
    from .panels import PreventionPanels

BAR_RGB = (29, 63, 143)  # the same blue as the pages' charts
INK_RGB = (11, 12, 12)

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
TOTAL_LABELS = {
    "incidents": "Incidents",
    "violent": "Violence or threats against staff",
    "value_lost": "Value lost",
    "sent_to_police": "Sent to police",
    "share_to_police": "Share reported to police",
    "crime_recorded": "Crimes recorded",
    "time_to_crime_number": "Mean time to crime number",
    "outcomes": "Outcomes recorded",
    "positive_outcome_rate": "Positive outcome rate",
    "solved_rate_reviewed": "Solved rate, reviewed by the business crime team",
    "solved_rate_unreviewed": "Solved rate, not reviewed",
    "rcap_attendance_rate": "RCAP attendance (violence or detained offender)",
}


def dashboard_csv(board: Dashboard) -> str:
    out = io.StringIO()
    w = csv_writer(out)
    w.writerow(["ShopWatch dashboard", board.scope.title])
    w.writerow(["period", board.period.start.isoformat(), board.period.end.isoformat()])
    if board.scope.suppress:
        w.writerow(["note", "Counts below 5 are suppressed so that no person can be picked out."])
    w.writerow([])
    w.writerow(["section", "measure", "value"])
    for key, fig in board.totals.items():
        w.writerow(["totals", TOTAL_LABELS[key], fig.display])
    for key, change in board.changes.items():
        w.writerow(
            [
                "change on previous period",
                TOTAL_LABELS[key],
                f"{change:+.1%}"
                if change is not None
                else ("not enough earlier data" if board.change_bases.get(key) else ""),
            ]
        )
    w.writerow([])
    w.writerow(["month", "incidents", "violence or threats"])
    for month, n, v in board.monthly:
        w.writerow([month.strftime("%Y-%m"), n.display, v.display])
    w.writerow([])
    w.writerow(["week starting", "incidents"])
    for week, n in board.weekly:
        w.writerow([week.isoformat(), n.display])
    w.writerow([])
    w.writerow(["incident type", "incidents"])
    for name, n in board.by_type:
        w.writerow([name, n.display])
    w.writerow([])
    w.writerow(["day", *[f"{h:02d}:00" for h in range(24)]])
    for d, row in enumerate(board.heatmap):
        w.writerow([DAYS[d], *[f.display for f in row]])
    w.writerow([])
    w.writerow(["most affected stores", "incidents"])
    for store, n in board.top_stores:
        w.writerow([store.name, n.display])
    if board.top_offenders:
        w.writerow([])
        w.writerow(["most prolific offenders", "incidents"])
        for person, n in board.top_offenders:
            w.writerow([person.display_name, n.display])
    if board.police_comparison:
        w.writerow([])
        w.writerow(["force", "month", "thefts reported here", "police-recorded shoplifting", "ratio"])
        for r in board.police_comparison:
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
            w.writerow(
                [r["force"], r["month"].strftime("%Y-%m"), r["reported_here"], r["police_recorded"], ratio]
            )
    return out.getvalue()


def _latin(text: str) -> str:
    return (
        text.replace("–", "-")
        .replace("—", "-")
        .replace("’", "'")
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


class _Report(FPDF):
    def __init__(self, prepared_for: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.prepared_for = prepared_for

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, _latin(f"{self.prepared_for} - page {self.page_no()}"), align="C")


def _chart_title(pdf: FPDF, title: str, height: float) -> tuple[float, float, float]:
    """Start a chart on a fresh page if it would not fit; its title; the drawing area's x, y and width."""
    if pdf.get_y() + height + 12 > pdf.h - 18:
        pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.multi_cell(0, 8, _latin(f"Chart: {title}"), new_x="LMARGIN", new_y="NEXT")
    return pdf.l_margin, pdf.get_y(), pdf.w - pdf.l_margin - pdf.r_margin


def pdf_bar_chart(pdf: FPDF, title: str, items: Sequence[tuple[str, Figure]]) -> None:
    """Horizontal bars drawn with fpdf2's rectangles, each labelled and with its value beside it; a
    suppressed figure draws no bar and says so."""
    row = 6.0
    height = max(row * len(items), row) + 4
    x, y, width = _chart_title(pdf, title, height)
    label_w, value_w = 60.0, 28.0
    top = max((f.value or 0 for _, f in items), default=0) or 1
    pdf.set_font("Helvetica", size=8)
    if not items:
        pdf.set_xy(x, y)
        pdf.cell(0, row, "Nothing to chart in this period.")
    for i, (name, fig) in enumerate(items):
        ry = y + i * row
        pdf.set_text_color(*INK_RGB)
        pdf.set_xy(x, ry)
        pdf.cell(label_w - 2, row, _latin(name[:40]), align="R")
        w = 0.0 if fig.value is None else (width - label_w - value_w) * fig.value / top
        if w > 0:
            pdf.set_fill_color(*BAR_RGB)
            pdf.rect(x + label_w, ry + 1, max(w, 0.4), row - 2, style="F")
        pdf.set_xy(x + label_w + w + 1, ry)
        pdf.cell(value_w, row, _latin(fig.display))
    pdf.set_draw_color(*INK_RGB)
    pdf.line(x + label_w, y, x + label_w, y + max(len(items), 1) * row)
    pdf.set_xy(x, y + height)


def pdf_column_chart(
    pdf: FPDF, title: str, points: Sequence[tuple[dt.date, Figure]], fmt: str = "%b %y"
) -> None:
    """Vertical columns over time with a baseline, the largest value on the axis and the periods labelled."""
    plot_h = 45.0
    height = plot_h + 10
    x, y, width = _chart_title(pdf, title, height)
    axis_w = 14.0
    top = max((f.value or 0 for _, f in points), default=0) or 1
    base = y + plot_h
    pdf.set_draw_color(*INK_RGB)
    pdf.line(x + axis_w, base, x + width, base)
    pdf.line(x + axis_w, y, x + axis_w, base)
    pdf.set_font("Helvetica", size=7)
    pdf.set_text_color(*INK_RGB)
    pdf.set_xy(x, y - 1)
    pdf.cell(axis_w - 1, 4, f"{int(top):,}", align="R")
    pdf.set_xy(x, base - 3)
    pdf.cell(axis_w - 1, 4, "0", align="R")
    if not points:
        pdf.set_xy(x + axis_w + 2, y + plot_h / 2)
        pdf.cell(0, 5, "Nothing to chart in this period.")
    step = (width - axis_w - 2) / max(len(points), 1)
    every = max(1, round(len(points) / 12))
    pdf.set_fill_color(*BAR_RGB)
    for i, (when, fig) in enumerate(points):
        cx = x + axis_w + 1 + i * step
        h = 0.0 if fig.value is None else plot_h * fig.value / top
        if h > 0:
            pdf.rect(cx, base - h, max(step * 0.8, 0.3), h, style="F")
        if i % every == 0:
            pdf.set_xy(cx - 1, base + 1)
            pdf.cell(step * every, 4, _latin(when.strftime(fmt)))
    pdf.set_xy(x, y + height)


def dashboard_pdf(board: Dashboard, prepared_for: str, panels: PreventionPanels | None = None) -> bytes:
    pdf = _Report(prepared_for)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.multi_cell(0, 8, _latin(f"ShopWatch: {board.scope.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(
        0,
        6,
        _latin(
            f"{board.period.start:%d %B %Y} to {board.period.end:%d %B %Y}, compared with "
            f"{board.previous.start:%d %B %Y} to {board.previous.end:%d %B %Y}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if board.scope.suppress:
        pdf.multi_cell(
            0,
            6,
            "Counts below 5 are suppressed so that no person can be picked out.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(2)

    def table(title: str, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.multi_cell(0, 8, _latin(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", style="B", size=9)
        for text, wdt in zip(header, widths, strict=True):
            pdf.cell(wdt, 6, _latin(text), border=1)
        pdf.ln()
        pdf.set_font("Helvetica", size=9)
        for row in rows:
            for text, wdt in zip(row, widths, strict=True):
                pdf.cell(wdt, 6, _latin(text[:60]), border=1)
            pdf.ln()
        pdf.ln(3)

    table(
        "Headline figures",
        ["Measure", "Value"],
        [[TOTAL_LABELS[k], f.display] for k, f in board.totals.items()],
        [120, 60],
    )
    pdf.set_font("Helvetica", size=9)
    for key, label in (
        ("incidents", "Incidents"),
        ("violent", "Violence or threats"),
        ("value_lost", "Value lost"),
    ):
        text = change_text(board.changes[key], board.change_bases.get(key))
        pdf.multi_cell(0, 5, _latin(f"{label}: {text}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf_column_chart(pdf, "Incidents by month", [(m, n) for m, n, _ in board.monthly])
    pdf_bar_chart(pdf, "Incidents by type", board.by_type)
    table(
        "By month",
        ["Month", "Incidents", "Violence or threats"],
        [[m.strftime("%B %Y"), n.display, v.display] for m, n, v in board.monthly],
        [60, 50, 60],
    )
    table("By type", ["Type", "Incidents"], [[name, n.display] for name, n in board.by_type], [120, 60])
    table(
        "Most affected stores",
        ["Store", "Incidents"],
        [[s.name, n.display] for s, n in board.top_stores],
        [120, 60],
    )
    if board.top_offenders:
        table(
            "Most prolific offenders",
            ["Person", "Incidents"],
            [[p.display_name, n.display] for p, n in board.top_offenders],
            [120, 60],
        )
    if board.police_comparison:
        table(
            "Reported here against police-recorded shoplifting (data.police.uk)",
            ["Force", "Month", "Reported here", "Police recorded", "Ratio"],
            [
                [
                    r["force"],
                    r["month"].strftime("%Y-%m"),
                    str(r["reported_here"]),
                    str(r["police_recorded"]),
                    "" if r["ratio"] is None else f"{r['ratio']:.2f}",
                ]
                for r in board.police_comparison
            ],
            [40, 25, 35, 40, 30],
        )
        pdf.set_font("Helvetica", size=7)
        pdf.multi_cell(
            0,
            4,
            "Contains public sector information licensed under the Open Government Licence v3.0.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if panels is not None:
        _prevention_pdf(pdf, panels, table)
    return bytes(pdf.output())


def _prevention_pdf(pdf: FPDF, panels: PreventionPanels, table: Any) -> None:
    pdf.ln(2)
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.multi_cell(0, 9, "Prevention", new_x="LMARGIN", new_y="NEXT")
    if panels.navigator:
        pdf_bar_chart(pdf, "Navigator: incidents before and since engagement", panels.navigator_bars())
        table(
            "Navigator before and since (aggregates; under 5 not shown)",
            ["Period", "People", "Before", "Since", "Stopped"],
            [
                [f"{o['months']} months", *(o[k].display for k in ("people", "before", "after", "stopped"))]
                for o in panels.navigator
            ],
            [30, 35, 35, 35, 35],
        )
    pdf_column_chart(pdf, "Forensic-marking deployments by month", panels.deployment_points())
    table(
        "Forensic marking by month",
        ["Month", "Kits issued", "Deployments", "Codes looked up"],
        [
            [m["month"].strftime("%B %Y"), m["kits"].display, m["deployments"].display, m["lookups"].display]
            for m in panels.marking
        ],
        [45, 40, 40, 45],
    )
    if panels.programmes:
        table(
            "Prevention programmes",
            ["Programme", "Places", "Enrolled", "Completed"],
            [
                [p["title"], str(p["places"]), p["enrolled"].display, p["completed"].display]
                for p in panels.programmes
            ],
            [90, 25, 30, 30],
        )
    table(
        "Security self-assessments (latest per store; under 5 stores not shown)",
        ["Assessment", "Stores", "Average score"],
        [
            [
                u.title,
                "fewer than 5" if u.stores is None else str(u.stores),
                "-" if u.average is None else f"{u.average}%",
            ]
            for u in panels.uptake
        ],
        [100, 35, 40],
    )
    if panels.not_taking_part:
        table(
            "Stores with repeated incidents not yet taking part",
            ["Store", "Incidents in the last year"],
            [[f"{s.name}, {s.town}", str(getattr(s, "recent", ""))] for s in panels.not_taking_part],
            [120, 55],
        )
