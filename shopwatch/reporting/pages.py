"""Sections that apps above reporting add to its pages (see core.sections): registered in their ready()."""

from __future__ import annotations

from shopwatch.core.sections import PageSections

from .models import Incident

# The incident page, between its vehicles and its history (evidence: the photos).
incident_detail_sections: PageSections[Incident] = PageSections()
# The facts listed on the page a reporter sees once a report is filed (evidence: how many photos it holds).
incident_submitted_sections: PageSections[Incident] = PageSections()
