"""The run report in a real headless browser (Debian's chromium through Playwright): the key
sections and numbers are visible, and the page makes no network request and logs no error.

Skipped, saying why, where chromium (``apt-get install chromium``, as ``.ci/install-chromium.sh``
does in CI) or Playwright (the dev extras) is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.unit.test_report import _execution, _statistics, _store, _summary
from tfxkit import report
from tfxkit.metadata import run_history

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if not Path(CHROMIUM).exists():
        return "no chromium: apt-get install -y chromium (or bash .ci/install-chromium.sh)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "no Playwright: pip install -e .[dev] -c constraints.txt"
    return None


def open_in_browser(html: Path, texts: list[str], screenshot: Path) -> None:
    """Open ``html`` offline; assert each text is visible, no request left the file and no
    console or page error was logged; save a full-page screenshot."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})

            def route(request_route) -> None:
                url = request_route.request.url
                if url.startswith(("file:", "data:", "about:")):
                    request_route.continue_()
                else:
                    requests.append(url)
                    request_route.abort()

            page.route("**/*", route)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.resolve().as_uri())
            page.wait_for_load_state("load")
            for text in texts:
                assert page.get_by_text(text).first.is_visible(), f"not visible: {text}"
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert not requests, f"the report fetched: {requests}"
    assert not errors, f"the browser logged errors: {errors}"


def test_report_renders_offline_in_chromium(tmp_path: Path) -> None:
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    store = _store(tmp_path)
    stats_uri = tmp_path / "statistics"
    _statistics(stats_uri)
    _execution(store, "penguin", "run-1", "statistics_gen", str(stats_uri))
    assert run_history.record_run(
        store, "penguin", "run-1", {}, _summary("run-1", 0.5, pushed=None)
    )
    config = SimpleNamespace(name="penguin", run_dir=str(tmp_path))
    path = report.write(store, config, "run-1")
    open_in_browser(
        path,
        ["run-1", "Data statistics", "bill_length_mm", "accuracy 0.5", "Recent runs", "Adelie"],
        tmp_path / "report.png",
    )
    assert (tmp_path / "report.png").stat().st_size > 10_000
