"""The first pages of two roles, each made of sections that the apps holding the records register at start-up
(``core.sections``: a template of the registering app and a function that reads through its own selectors).

* A retail security manager's **estate**: their stores with recent incidents (reporting), the alerts at them
  (alerts), the police's open requests to them (policing).
* A platform admin's **health** page: the task queue, the last backup, storage and the start-up checks (core,
  ``core.health``) and failed hand-offs to forces (policing).
"""

from __future__ import annotations

from .entitlements import Viewer
from .sections import PageSections

estate_sections: PageSections[Viewer] = PageSections()
health_sections: PageSections[Viewer] = PageSections()
