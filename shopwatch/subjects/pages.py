"""Sections that apps above subjects add to a person's page (see core.sections), registered in their
ready()."""

from __future__ import annotations

from shopwatch.core.sections import PageSections

from .models import Person

# After the person's details: the incidents naming them (reporting), then the evidence showing them.
person_detail_sections: PageSections[Person] = PageSections()
