"""Any dashboard as CSV, and as a PDF report for a scrutiny meeting."""

from __future__ import annotations

import io

from fpdf import FPDF

from shopwatch.core.csvexport import csv_writer

from .selectors import Dashboard

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


def dashboard_pdf(board: Dashboard, prepared_for: str) -> bytes:
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
    return bytes(pdf.output())
