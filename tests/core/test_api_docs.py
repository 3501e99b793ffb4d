"""/api/v1/docs loads Swagger UI from the site's own static files, so the site's CSP lets it run (it used to
load it from a CDN that the CSP blocks, leaving a blank page)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        elif tag == "link":
            self.links.append(dict(attrs))


def _same_origin(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


@pytest.mark.django_db
def test_the_api_docs_use_only_same_origin_scripts_and_styles_and_they_are_served(client: Client) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    refs = _Refs()
    refs.feed(page.content.decode())
    sources = [s["src"] for s in refs.scripts if s.get("src")]
    # Scripts without src are data only (the Swagger settings), which the CSP does not run.
    assert all(s.get("type") == "application/json" for s in refs.scripts if not s.get("src"))
    styles = [link["href"] for link in refs.links if link.get("rel") == "stylesheet"]
    assert any(src and src.endswith("swagger-ui-bundle.js") for src in sources)
    assert styles
    assert all(href and href.endswith(".css") for href in styles)
    for url in [*sources, *styles, *(link["href"] for link in refs.links)]:
        assert url
        assert _same_origin(url), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content  # type: ignore[attr-defined]
        assert len(body) > 100, url
