"""The arena in a real headless Chromium (Debian's, driven by Playwright) against a real
``codejury arena serve`` process: log in, vote, names revealed only after the vote, a script in
a model answer does not run, a second vote on the same battle is refused."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from arena_seed import Seeded, free_port, seed, start_server

from codejury.datasets import load_benchmark
from codejury.store import Store

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CODEJURY_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CODEJURY_CHROMIUM)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, shared_data_dir: Path
) -> Iterator[tuple[str, Seeded]]:
    root = tmp_path_factory.mktemp("browser")
    seeded = seed(root / "arena.db", load_benchmark("humaneval+", shared_data_dir), shared_data_dir)
    port = free_port()
    process = start_server(seeded.path, port, log=root / "server.log")
    try:
        yield f"http://127.0.0.1:{port}", seeded
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Chromium's own sandbox needs user namespaces that a root CI container may not allow.
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield launched
        launched.close()


def log_in(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_vote_reveal_no_script_and_no_second_vote(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    # The CSP would block an injected script anyway; bypass it so that this test shows the
    # escaping alone keeps model text inert.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    log_in(page, base, seeded.tokens["ann"])
    assert "ann" in page.inner_text("header")
    page.click("#start")
    page.wait_for_url(f"{base}/battle/*")
    battle_url = page.url
    second_tab = context.new_page()
    second_tab.goto(battle_url)

    for tab in (page, second_tab):
        assert tab.evaluate("window.__pwned") is None
        assert tab.evaluate("document.scripts.length") == 0
        assert tab.evaluate("document.images.length") == 0
        text = tab.inner_text("body")
        assert "mock/alpha" not in text and "mock/beta" not in text
        assert "Model A" in text and "Model B" in text
        assert "<script>window.__pwned=1</script>" in text  # shown as text, not run
        assert tab.locator("#model-a").count() == 0

    page.click("#vote-a")
    page.wait_for_selector("#result")
    assert "A is better" in page.inner_text("#result")
    names = {page.inner_text("#model-a"), page.inner_text("#model-b")}
    assert names == {"mock/alpha", "mock/beta"}
    assert page.evaluate("window.__pwned") is None

    # The second tab still shows the form: its vote must be refused, the first one kept.
    with second_tab.expect_response(lambda r: r.request.method == "POST") as posted:
        second_tab.click("#vote-b")
    assert posted.value.status == 409
    second_tab.wait_for_load_state()
    assert "already voted" in second_tab.inner_text("body")
    assert second_tab.evaluate("window.__pwned") is None

    with Store.open(seeded.path) as store:
        rows = store.arena.battles.votes()
    assert [(r.vote.battle_id, r.vote.choice) for r in rows] == [
        (battle_url.rsplit("/", 1)[1], "a")
    ]
    context.close()


def test_cookie_is_httponly_and_strict_in_the_browser(
    server: tuple[str, Seeded], browser: Browser
) -> None:
    base, seeded = server
    context = browser.new_context()
    page = context.new_page()
    log_in(page, base, seeded.tokens["bob"])
    (cookie,) = [c for c in context.cookies() if c["name"] == "cj_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""
    context.close()
