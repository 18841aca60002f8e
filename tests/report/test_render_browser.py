"""The HTML report in a real headless Chromium (Debian's, driven by Playwright), opened from a
file: every chart is drawn with its data points and labels, nothing logs an error, no request
leaves the file, no script runs. Screenshots (the page and each chart) are saved in the test's
tmp directory, and copied with the page to ``$CODEJURY_TEST_ARTEFACTS/report-browser`` when
that variable is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_store import (
    HOSTILE,
    passes,
    seed_cost,
    seed_eval,
    seed_perf,
    seed_two_models,
    seed_votes,
)

from codejury.report.build import ReportOptions, build_from_store
from codejury.report.data import ReportData
from codejury.report.render import render_html
from codejury.store import Store

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, ConsoleMessage, Route, sync_playwright

CHROMIUM = os.environ.get("CODEJURY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Chromium's own sandbox needs user namespaces that a root container may not allow.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ReportData]:
    root = tmp_path_factory.mktemp("report-browser")
    with Store.open(root / "runs.db") as store:
        seed_two_models(store)
        seed_eval(store, HOSTILE, passes(20))
        seed_votes(store, ("local/smollm2", "openai/gpt-4o-mini", HOSTILE))
        seed_perf(store, "local/smollm2")
        seed_cost(store, "local/smollm2", 140.0)
        data = build_from_store(store, ReportOptions())
    path = root / "report.html"
    path.write_text(render_html(data), encoding="utf-8")
    return path, data


def test_report_renders_offline_with_charts(
    browser: Browser, report: tuple[Path, ReportData], tmp_path: Path
) -> None:
    path, data = report
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    external: list[str] = []
    errors: list[str] = []

    def route(r: Route) -> None:
        requests.append(r.request.url)
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            errors.append(f"{message.type}: {message.text}")

    context.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"\nscreenshot: {shot}")
    assert shot.stat().st_size > 50_000

    assert external == [], external
    assert requests == [path.as_uri()]
    assert errors == [], errors
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.images.length") == 0
    assert page.evaluate("window.__pwned") is None

    # Every chart is drawn, has data points, and is laid out with a real size.
    charts = page.locator("svg.chart")
    kinds = page.evaluate(
        "[...document.querySelectorAll('svg.chart')].map(s => s.getAttribute('class'))"
    )
    for kind in ("pareto", "mismatch", "rank-difference", "heatmap", "perf"):
        assert any(f"chart-{kind}" in k for k in kinds), (kind, kinds)
    for i in range(charts.count()):
        chart = charts.nth(i)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200
        assert chart.locator(".point").count() >= 3
        chart.screenshot(path=str(tmp_path / f"chart-{i}.png"))

    # The Pareto frontier's models are labelled; the user's runs are drawn as their own marks.
    pareto = page.locator("svg.chart-pareto").first
    labels = pareto.locator("text.label").all_text_contents()
    frontier = data.pareto_quality.frontier  # type: ignore[union-attr]
    for key in frontier:
        name = data.name(key)
        assert any(label.rstrip("…") == name[: len(label.rstrip("…"))] for label in labels), name
    measured = pareto.locator(".point.measured")
    assert measured.count() == 2  # the local model and the API model (the hostile one is unpriced)
    assert pareto.locator('.point[data-key="local/smollm2"]').count() == 1

    # Flagged mismatch models are labelled; the recommendation comes first and names a model.
    mismatch = page.locator("svg.chart-mismatch")
    assert mismatch.locator(".point.flagged").count() == mismatch.locator("text.label").count()
    first = page.locator("section").first
    assert first.get_attribute("id") == "recommendation"
    winner = data.decision.recommendation.winner
    assert winner is not None and data.name(winner) in first.inner_text()

    # The hostile name is on the page as text.
    assert "<script>window.__pwned=1</script>" in page.inner_text("body")
    context.close()
    keep = os.environ.get("CODEJURY_TEST_ARTEFACTS")
    if keep:  # e.g. a CI job's artefact folder: the page and its screenshots
        target = Path(keep) / "report-browser"
        target.mkdir(parents=True, exist_ok=True)
        for file in [path, *tmp_path.glob("*.png")]:
            shutil.copy2(file, target / file.name)
        print(f"artefacts: {target}")
