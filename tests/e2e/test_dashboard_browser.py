"""The dashboard in a real browser (Playwright driving Debian's chromium) against a real served
process (`rec-service serve`) over a small SQLite source with a trained model.

One browser and one service for the module; each test opens a fresh browser context (its own
sessionStorage). Set REC_DASHBOARD_SCREENSHOTS to a directory to save a picture of each panel there
(`make screenshots` writes them into docs/dashboard/).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.conftest import unavailable
from tests.e2e.dashboard_source import HOSTILE, HOSTILE_TITLE, write_dashboard_source
from tests.e2e.served_process import Running, served

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
CHROMIUM = os.environ.get("REC_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("REC_DASHBOARD_SCREENSHOTS")
TOKEN = "dashboard-test-token-5f1c"
SMALL = {"no_components": 8, "epochs": 3}
WAIT_MS = 30_000


def _playwright() -> Any:
    try:
        from playwright import async_api
    except ImportError:
        unavailable("playwright is not installed (make install installs the dev extra)")
    if not Path(CHROMIUM).exists():
        unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)")
    return async_api


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    api = _playwright()
    async with api.async_playwright() as playwright:
        # root in CI: chromium's sandbox needs a user namespace it may not get
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        await launched.close()


async def _until(check: Any, seconds: float = 120.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    pytest.fail("the service did not get there in time")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    """A trainer process (it trains a first version at start), loopback, no token."""
    data_dir = tmp_path_factory.mktemp("dashboard")
    await write_dashboard_source(data_dir / "demo_source.db")
    async with served("serve", data_dir, {"REC_TRAIN_CRON": "0 3 * * *"}) as running:
        async with httpx.AsyncClient(base_url=running.url, timeout=30) as client:

            async def active() -> bool:
                models = (await client.get("/admin/models")).json()["models"]
                return any(m["is_active"] for m in models)

            await _until(active)
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def guarded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    """A process with REC_ADMIN_TOKEN set (no training needed)."""
    data_dir = tmp_path_factory.mktemp("dashboard-token")
    await write_dashboard_source(data_dir / "demo_source.db")
    async with served("serve", data_dir, {"REC_ADMIN_TOKEN": TOKEN}) as running:
        yield running


@dataclass
class Tab:
    page: Any
    context: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    pending: set[asyncio.Future[Any]] = field(default_factory=set)

    def unexpected_errors(self) -> list[str]:
        """Script errors and console errors, less the browser's own line for each 4xx the API
        answered on purpose (the page shows those answers' details)."""
        console = [m for m in self.console_errors if "Failed to load resource" not in m]
        return self.page_errors + console


@asynccontextmanager
async def opened(browser: Any, running: Running) -> AsyncIterator[Tab]:
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    tab = Tab(page, context)
    page.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: tab.page_errors.append(str(e)))

    def dismiss(dialog: Any) -> None:
        tab.dialogs.append(dialog.message)
        tab.pending.add(asyncio.ensure_future(dialog.dismiss()))

    page.on("dialog", dismiss)
    await page.goto(f"{running.url}/admin/ui")
    await page.wait_for_selector("body[data-ready=true]")
    try:
        yield tab
    finally:
        await context.close()


def _picture(panel: str) -> Path:
    folder = Path(SCREENSHOTS or ".")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{panel}.png"


async def shoot(tab: Tab, panel: str) -> None:
    """A picture of one panel into REC_DASHBOARD_SCREENSHOTS (`make screenshots`), when set."""
    if SCREENSHOTS:
        await tab.page.locator(f"#{panel}").screenshot(path=str(_picture(panel)))


async def api_json(running: Running, method: str, path: str, **kwargs: Any) -> Any:
    async with httpx.AsyncClient(base_url=running.url, timeout=120) as client:
        response = await client.request(method, path, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()


async def test_the_page_loads_clean_and_its_csp_holds(browser: Any, service: Running) -> None:
    async with opened(browser, service) as tab:
        page = tab.page
        health = await api_json(service, "GET", "/health")
        await page.locator("#served-model").filter(has_text=health["model_id"]).wait_for()
        await page.locator("#versions tbody tr").first.wait_for()
        assert await page.locator("#versions .chart-svg circle").count() >= 3  # one point per series at least
        assert await page.locator("#health tbody tr").count() == 4
        trainer = await api_json(service, "GET", "/admin/trainer")
        said = page.locator("#lease-holder").filter(
            has_text=f"trainer: {trainer['holder']}, term {trainer['epoch']}"
        )
        await said.filter(has_text="this replica is the trainer").wait_for()
        assert tab.unexpected_errors() == []
        # an inline script added at run time is refused by the page's CSP
        blocked = await page.evaluate(
            """() => new Promise((resolve) => {
                 document.addEventListener("securitypolicyviolation", (e) => resolve(e.violatedDirective));
                 const s = document.createElement("script");
                 s.textContent = "window.__inline = 1";
                 document.body.append(s);
                 setTimeout(() => resolve(window.__inline === 1 ? "ran" : "no event"), 2000);
               })"""
        )
        assert blocked.startswith("script-src"), blocked
        await shoot(tab, "health")
        assert tab.page_errors == []


async def test_a_wrong_token_shows_the_apis_401_and_the_right_one_works(
    browser: Any, guarded: Running
) -> None:
    async with opened(browser, guarded) as tab:
        page = tab.page
        message = page.locator("#token-message")
        await message.filter(has_text="Authorization: Bearer").wait_for()
        async with httpx.AsyncClient(base_url=guarded.url) as client:
            detail = (await client.get("/admin/models")).json()["detail"]
        assert await message.text_content() == detail
        await page.fill("#token-input", "not-the-token")
        await page.click("#token-use")
        await page.locator("#versions .message.error").filter(has_text=detail).wait_for()
        await page.fill("#token-input", TOKEN)
        await page.click("#token-use")
        await page.locator("#versions .body").filter(has_text="no version yet").wait_for()
        await page.locator("#blacklist tbody tr").first.wait_for()  # the source's entry, with the token
        assert TOKEN not in page.url and "token" not in page.url
        assert await tab.context.cookies() == []
        assert await page.evaluate("() => sessionStorage.getItem('rec-admin-token')") == TOKEN
        assert await page.input_value("#token-input") == ""
        assert TOKEN not in guarded.log_text()


async def test_activate_and_roll_back_behind_a_confirmation(browser: Any, service: Running) -> None:
    extra = await api_json(service, "POST", "/admin/train", json={**SMALL, "activate": False})
    before = next(m for m in (await api_json(service, "GET", "/admin/models"))["models"] if m["is_active"])
    async with opened(browser, service) as tab:
        page = tab.page
        button = page.locator(f"#versions button.activate[data-model='{extra['model_id']}']")
        await button.click()
        await page.locator("#confirm-text").filter(has_text=extra["model_id"]).wait_for()
        await page.click("#confirm-no")
        await page.wait_for_timeout(300)
        assert (await api_json(service, "GET", "/admin/models/" + extra["model_id"]))["is_active"] is False
        await button.click()
        await page.click("#confirm-yes")
        await page.locator("#served-model").filter(has_text=extra["model_id"]).wait_for()
        assert (await api_json(service, "GET", "/admin/models/" + extra["model_id"]))["is_active"] is True
        rollback = page.locator("#rollback")
        await rollback.wait_for()
        target = (await rollback.text_content() or "").removeprefix("Roll back to ")
        assert target == before["model_id"]  # the newest ready version older than the active one
        await rollback.click()
        await page.click("#confirm-yes")
        await page.locator("#served-model").filter(has_text=target).wait_for()
        assert (await api_json(service, "GET", "/health"))["model_id"] == target
        assert tab.unexpected_errors() == []


async def test_a_training_from_the_form_shows_progress_and_ends(browser: Any, service: Running) -> None:
    count = len((await api_json(service, "GET", "/admin/models"))["models"])
    async with opened(browser, service) as tab:
        page = tab.page
        await page.fill("#train-form [name=no_components]", "16")
        await page.fill("#train-form [name=epochs]", "40")
        await page.select_option("#train-form [name=activate]", "false")
        await page.click("#train-now")
        started = page.locator("#jobs .message").filter(has_text="started")
        await started.wait_for()
        job_id = (await started.text_content() or "").split()[2]
        row = page.locator("#jobs tbody tr").filter(has_text=job_id)
        await row.locator("progress").wait_for()
        await shoot(tab, "jobs")
        await row.filter(has_text="succeeded").wait_for(timeout=120_000)
        assert "100 %" in (await row.text_content() or "")
        await page.locator("#versions tbody tr").nth(count).wait_for()  # the new version is listed
        await shoot(tab, "versions")
        job = await api_json(service, "GET", f"/admin/jobs/{job_id}")
        assert job["status"] == "succeeded" and job["params"]["epochs"] == 40
        assert tab.unexpected_errors() == []


async def test_blacklist_add_and_remove(browser: Any, service: Running) -> None:
    async with opened(browser, service) as tab:
        page = tab.page
        await page.fill("#blacklist-form [name=title_id]", "12")
        await page.fill("#blacklist-form [name=reason]", "rights expired")
        await page.click("#blacklist-form button[type=submit]")
        row = page.locator("#blacklist tbody tr").filter(has_text="rights expired")
        await row.filter(has_text="Title 12").wait_for()
        listed = (await api_json(service, "GET", "/admin/blacklist"))["titles"]
        assert {"title_id": 12, "reason": "rights expired", "source": "admin"} in listed
        await shoot(tab, "blacklist")
        await row.locator("button.remove").click()
        await page.click("#confirm-yes")
        await row.wait_for(state="detached")
        listed = (await api_json(service, "GET", "/admin/blacklist"))["titles"]
        assert all(entry["title_id"] != 12 for entry in listed)
        assert tab.unexpected_errors() == []


async def test_ids_past_two_to_the_53_keep_every_digit(browser: Any, service: Running) -> None:
    huge = 2**62 + 1  # as a JS number it would read ...904
    async with opened(browser, service) as tab:
        page = tab.page
        await page.fill("#blacklist-form [name=title_id]", str(huge))
        await page.fill("#blacklist-form [name=reason]", "exact id")
        await page.click("#blacklist-form button[type=submit]")
        row = page.locator("#blacklist tbody tr").filter(has_text="exact id")
        await row.filter(has_text=str(huge)).wait_for()
        await row.locator("button.remove").click()  # sent back from the parsed value
        await page.click("#confirm-yes")
        await row.wait_for(state="detached")
        listed = (await api_json(service, "GET", "/admin/blacklist"))["titles"]
        assert all(entry["title_id"] != huge for entry in listed)
        assert tab.unexpected_errors() == []


async def test_the_user_explorer_shows_names_sources_and_blacklists_from_a_list(
    browser: Any, service: Running
) -> None:
    await api_json(
        service, "POST", "/rec/hot/interact", json={"user_id": 3, "title_id": 44, "int_type": "view"}
    )
    models = (await api_json(service, "GET", "/admin/models"))["models"]
    other = next((m["model_id"] for m in models if not m["is_active"] and m["status"] == "ready"), None)
    if other is None:
        other = (await api_json(service, "POST", "/admin/train", json={**SMALL, "activate": False}))[
            "model_id"
        ]
    async with opened(browser, service) as tab:
        page = tab.page
        await page.locator(f"#user-form option[value='{other}']").wait_for(state="attached")
        await page.fill("#user-form [name=user_id]", "3")
        await page.select_option("#user-form [name=version]", other)
        await page.click("#user-form button[type=submit]")
        history = page.locator("#users .history tbody tr")
        await history.first.wait_for()
        first = await history.first.text_content() or ""
        assert "Title 44" in first and "hot" in first
        assert await page.locator("#users .history .origin.source").count() >= 5
        lists = page.locator("#users .list")
        assert await lists.count() == 2
        active_list = lists.first
        assert await active_list.locator(".list-source").text_content() == "model"
        assert await lists.nth(1).get_attribute("data-model") == other  # the chosen version, side by side
        assert await lists.nth(1).locator("tbody tr").count() == 10
        top = active_list.locator("tbody tr").first
        top_id = int(await top.locator("td").nth(1).text_content() or "0")
        assert await top.locator(".title-name").text_content() == f"Title {top_id}"
        await shoot(tab, "users")
        await top.locator("button.blacklist").click()
        await page.locator("#users .message").filter(has_text=f"title {top_id} blacklisted").wait_for()
        ids_now = await active_list.locator("tbody tr td:nth-child(2)").all_text_contents()
        assert str(top_id) not in ids_now
        await page.locator("#blacklist tbody tr").filter(has_text=f"Title {top_id}").wait_for()
        assert tab.unexpected_errors() == []
    async with httpx.AsyncClient(base_url=service.url) as client:
        assert (await client.delete(f"/admin/blacklist/{top_id}")).status_code == 200


async def test_the_hostile_title_shows_as_text(browser: Any, service: Running) -> None:
    async with opened(browser, service) as tab:
        page = tab.page
        await page.fill("#title-form [name=title_id]", str(HOSTILE_TITLE))
        await page.click("#title-form button[type=submit]")
        name = page.locator("#titles strong.title-name")
        await name.filter(has_text="onerror").wait_for()
        assert await name.text_content() == HOSTILE
        await page.locator("#titles tbody tr").first.wait_for()  # its similar titles, with names
        assert "Title" in (await page.locator("#titles tbody").text_content() or "")
        await shoot(tab, "titles")
        await page.fill("#user-form [name=user_id]", "1")  # users 1..5 touched it
        await page.click("#user-form button[type=submit]")
        await page.locator("#users .history .title-name").filter(has_text=HOSTILE).first.wait_for()
        await page.wait_for_timeout(500)
        assert await page.locator("img").count() == 0
        assert tab.dialogs == []
        assert tab.unexpected_errors() == []


async def test_an_api_error_shows_its_detail(browser: Any, service: Running) -> None:
    async with httpx.AsyncClient(base_url=service.url) as client:
        detail = (await client.get("/admin/users/abc")).json()["detail"]
        experiments = await client.get("/admin/experiments")
    async with opened(browser, service) as tab:
        page = tab.page
        await page.fill("#user-form [name=user_id]", "abc")
        await page.click("#user-form button[type=submit]")
        message = page.locator("#users .message.error")
        await message.filter(has_text=detail).wait_for()
        assert await message.text_content() == detail
        if experiments.status_code == 404:  # a service without section 12's routes
            shown = page.locator("#experiments .message.error")
            await shown.filter(has_text=experiments.json()["detail"]).wait_for()
        await shoot(tab, "experiments")
        assert tab.unexpected_errors() == []


async def test_the_read_routes_over_the_real_stack(service: Running) -> None:
    """The SQL adapters behind the read routes, in the served process (no browser needed)."""
    titles = (await api_json(service, "GET", "/admin/titles", params={"ids": "60,7,59,12,100"}))["titles"]
    assert [t["title_id"] for t in titles] == [60, 7, 59, 12]
    sixty, hostile, fifty_nine, twelve = titles
    assert hostile["name"] == HOSTILE and hostile["known_to_model"] is True
    assert twelve["features"] == {"genre:Action": 1.0} and twelve["name"] == "Title 12"
    assert fifty_nine["blacklisted"] is True and sixty["is_active"] is False
    await api_json(
        service, "POST", "/rec/hot/interact", json={"user_id": 2, "title_id": 50, "int_type": "view"}
    )
    user = await api_json(service, "GET", "/admin/users/2")
    assert user["known_to_model"] is True and user["features"] == {"age:2": 1.0}
    assert user["interactions"][0]["title_id"] == 50 and user["interactions"][0]["source"] == "hot"
    assert {e["source"] for e in user["interactions"][1:]} == {"source"} and len(user["interactions"]) >= 6
    active = (await api_json(service, "GET", "/health"))["model_id"]
    public = await api_json(service, "GET", "/titles/recommendations", params={"user_id": 2, "k": 7})
    mine = await api_json(
        service, "GET", f"/admin/models/{active}/recommendations", params={"user_id": 2, "k": 7}
    )
    assert mine["item_ids"] == public["item_ids"] and mine["cached"] is False and 50 not in mine["item_ids"]


async def test_experiments_start_show_their_arms_and_stop_with_a_promotion(
    browser: Any, service: Running
) -> None:
    """Section 12's routes; a service without them answers 404 and the panel shows that detail
    (test_an_api_error_shows_its_detail)."""
    async with httpx.AsyncClient(base_url=service.url, timeout=120) as client:
        if (await client.get("/admin/experiments")).status_code == 404:
            pytest.fail("this build has no /admin/experiments (contract section 12)")
        models = [m for m in (await client.get("/admin/models")).json()["models"] if m["status"] == "ready"]
        while len(models) < 2:
            await client.post("/admin/train", json={**SMALL, "activate": False})
            models = [
                m for m in (await client.get("/admin/models")).json()["models"] if m["status"] == "ready"
            ]
    first, second = models[0]["model_id"], models[1]["model_id"]
    async with opened(browser, service) as tab:
        page = tab.page
        form = page.locator("#experiment-form")
        await form.locator("[name=name]").fill("dashboard test")
        rows = form.locator(".arm")
        await rows.nth(1).wait_for()  # focusing the form adds two arms
        await rows.nth(0).locator("[name=arm_model]").select_option(first)
        await rows.nth(1).locator("[name=arm_model]").select_option(second)
        await form.locator("button[type=submit]").click()
        article = page.locator("#experiments article.experiment").filter(has_text="dashboard test")
        await article.filter(has_text="running").wait_for()
        async with httpx.AsyncClient(base_url=service.url, timeout=30) as client:
            for user in range(1, 31):
                listed = (await client.get("/titles/recommendations", params={"user_id": user})).json()
                if user % 3 == 0:
                    event = {"user_id": user, "title_id": listed["item_ids"][0], "int_type": "view"}
                    await client.post(
                        "/rec/hot/interact", json={**event, "recommendation_id": listed["recommendation_id"]}
                    )
        await page.reload()
        await page.wait_for_selector("body[data-ready=true]")
        arms = article.locator("tbody tr")
        await arms.nth(1).wait_for()
        assert await article.locator("svg.interval").count() == 2
        text = await article.text_content() or ""
        assert first in text and second in text
        cells = [await arms.nth(i).locator("td").all_text_contents() for i in range(2)]
        assert (
            sum(int(row[3]) for row in cells) >= 30 and sum(int(row[4]) for row in cells) >= 10
        )  # lists, clicked
        await shoot(tab, "experiments")
        await arms.filter(has_text=second).locator("button.promote").click()
        await page.click("#confirm-yes")
        await article.filter(has_text="stopped").filter(has_text="winner b").wait_for()
        await page.locator("#served-model").filter(has_text=second).wait_for()
        assert tab.unexpected_errors() == []
