"""Sections of one record's page that apps above the record's own contribute, registered at start-up.

A page of a lower app (an incident, a person) may show records of apps above it (its photos, the evidence that
shows a person) without importing them: the page's app offers a ``PageSections`` registry, the higher app
registers a section in its ``AppConfig.ready()`` (a template of its own and a function that reads, through its
own selectors, what the template shows), and the page renders every section in order. As with the
incident-filed handlers (docs/decisions/0008-incident-filed-handlers.md), no Django signals are involved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from .entitlements import Viewer

R = TypeVar("R")


@dataclass(frozen=True)
class Section(Generic[R]):
    name: str
    order: int
    template: str
    context: Callable[[Viewer, R], Mapping[str, object]]


@dataclass(frozen=True)
class RenderedSection:
    """What a page includes: ``{% include section.template %}``, which reads ``section.context``."""

    name: str
    template: str
    context: Mapping[str, object]


class PageSections(Generic[R]):
    """The sections of one kind of page, in ascending ``order`` (ties: in the order registered)."""

    def __init__(self) -> None:
        self._sections: list[Section[R]] = []

    def register(
        self,
        name: str,
        *,
        order: int,
        template: str,
        context: Callable[[Viewer, R], Mapping[str, object]],
    ) -> None:
        """Add a section; registering a name again replaces it (ready() may run twice)."""
        kept = [s for s in self._sections if s.name != name]
        kept.append(Section(name=name, order=order, template=template, context=context))
        self._sections = sorted(kept, key=lambda s: s.order)

    def registered(self) -> tuple[Section[R], ...]:
        return tuple(self._sections)

    def build(self, viewer: Viewer, record: R) -> list[RenderedSection]:
        """Every section's template with what it reads for this viewer and record."""
        return [RenderedSection(s.name, s.template, s.context(viewer, record)) for s in self._sections]
