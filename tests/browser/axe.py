"""Running axe-core in a page without weakening its Content-Security-Policy.

axe.min.js ships with the axe-playwright-python package. Injected with add_script_tag(path=...), it
would be an inline script, which the page's CSP forbids; instead the browser context answers a
same-origin URL with the file (page.route), and the page loads it like any of its own scripts. So
the journeys run under the real CSP, and a page that breaks it still fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import axe_playwright_python  # type: ignore[import-untyped]
from playwright.sync_api import BrowserContext, Page, Route

AXE_JS = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"
AXE_URL_PATH = "/__test-only__/axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def serve_axe(context: BrowserContext) -> None:
    """Let pages in this context load axe-core from their own origin."""

    def fulfil(route: Route) -> None:
        route.fulfill(path=str(AXE_JS), content_type="application/javascript; charset=utf-8")

    context.route(f"**{AXE_URL_PATH}", fulfil)


def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[dict[str, Any]]:
    """axe-core's violations of the given impacts on the page as it is now."""
    # A click may have started a navigation: check the page that arrives, not one half torn down.
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL_PATH)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {json.dumps(node['target'])}: {node.get('failureSummary', '').strip()}")
            lines.append(f"       {node.get('html', '')[:200]}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violations on the page; says which and where if there are."""
    violations = axe_violations(page)
    assert not violations, f"axe-core found problems on {page.url}:\n{describe(violations)}"
