"""Acceptance: the rendered HTML of an N1 and an N3 document opens in headless Chromium without console errors.

Screenshots are kept under ``test-artifacts/cda/`` (gitignored); their paths are printed (``pytest -s``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from dmpclient.cda import build_n1, build_n3, ldl_ses_body, make_sample_pdf, render_html
from dmpclient.cda.demo import demo_header, demo_ldl_ses

pytestmark = pytest.mark.chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "cda"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(house: ModuleType):  # type: ignore[no-untyped-def]
    chromium = house.require_tool("chromium")
    house.require_module("playwright", "dev")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser, page_html: str, name: str):  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html_path = ARTIFACTS / f"{name}.html"
    html_path.write_text(page_html, encoding="utf-8")
    page = browser.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(html_path.as_uri())
    page.wait_for_load_state("load")
    if page.locator("object").count():
        page.wait_for_timeout(1500)  # let the built-in PDF viewer paint before the screenshot (not asserted)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    return page, problems, requests


@pytest.mark.parametrize("level", ["N1", "N3"])
def test_rendered_document_opens_in_chromium(browser, level: str, ids: Callable[[], str]) -> None:  # type: ignore[no-untyped-def]
    if level == "N1":
        built = build_n1(demo_header(), make_sample_pdf(), ids=ids)
    else:
        built = build_n3(
            demo_header(type_code="11490-0", title="Lettre de liaison à la sortie"),
            ldl_ses_body(demo_ldl_ses()),
            ids=ids,
        )
    page, problems, requests = _open(browser, render_html(built.read_bytes()), f"rendered-{level.lower()}")
    try:
        body = page.inner_text("body")
        assert "PAT-TROIS DOMINIQUE" in body
        assert "28/03/1979" in body
        assert problems == []
        # nothing but the page itself, our own data: URLs and Chromium's built-in PDF viewer is loaded
        assert all(url.startswith(("file:", "data:", "chrome-extension:", "chrome:")) for url in requests), requests
        if level == "N1":
            assert page.locator("object[type='application/pdf']").count() == 1
        else:
            assert page.locator("section.cda h2").count() == 6
            assert "Synthèse médicale du séjour" in body
    finally:
        page.close()


def test_csp_blocks_an_injected_script(browser) -> None:  # type: ignore[no-untyped-def]
    """Even if markup slipped through, the CSP would refuse to run it: prove the policy is active."""
    page_html = render_html(
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"/><title>CSP</title></ClinicalDocument>'
    ).replace("</main>", "<script>document.title='pwned'</script></main>")
    page, problems, _ = _open(browser, page_html, "csp-check")
    try:
        assert page.title() == "CSP"
        assert any("Content Security Policy" in p for p in problems)
    finally:
        page.close()
