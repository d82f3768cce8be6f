"""The report in a real headless Chromium: rows, filters, expanded evidence, charts, no script errors.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them). Without them the test is
skipped with that reason on a developer machine, and fails under CI, where they must be present.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime

import pytest

from flows.report.build import build_report
from flows.report.data import Scope
from flows.store import db
from parsers.extract.engine import load_extractor
from tests.report.factory import make_db
from tests.support import REPO, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
HOSTILE = "<img src=x onerror=window.__pwned=1>"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        why = "headless Chromium missing: apt-get install chromium chromium-driver (the report's browser test)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1300,1600",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    path = make_db(tmp / "tw.duckdb", 120, seed=11)
    with db.connect(path) as con:
        con.execute("UPDATE items SET title = $1 WHERE item_id = (SELECT min(item_id) FROM items)", [HOSTILE])
        counts = dict(con.execute("SELECT type, count(*) FROM clusters GROUP BY type").fetchall())
        ru = con.execute("SELECT count(*) FROM clusters WHERE list_contains(parties, 'RU')").fetchone()[0]
        confident = con.execute("SELECT count(*) FROM clusters WHERE round(confidence, 2) >= 0.9").fetchone()[0]
    out = tmp / "report.html"
    build_report(
        path,
        out,
        Scope(),
        extractor=load_extractor(REPO / "config"),
        cache_dir=tmp / "cache",
        now=datetime(2026, 6, 1, tzinfo=UTC),
    )
    return out, counts, ru, confident


def visible_rows(driver) -> int:
    return driver.execute_script("return [...document.querySelectorAll('tr.cluster')].filter(r => !r.hidden).length")


def test_report_in_headless_chromium(browser, report, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    out, counts, ru, confident = report
    browser.get(out.as_uri())
    wait_for(lambda: browser.execute_script("return document.body.dataset.ready") == "1", timeout=30)
    total = sum(counts.values())
    assert (
        browser.find_element(By.ID, "shown-count").text == str(total) == browser.find_element(By.ID, "total-count").text
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.cluster")) == total == visible_rows(browser)
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".chart svg.marks")) == 3, timeout=30)

    Select(browser.find_element(By.ID, "f-type")).select_by_value("suspension")
    assert browser.find_element(By.ID, "shown-count").text == str(counts["suspension"]) == str(visible_rows(browser))
    Select(browser.find_element(By.ID, "f-type")).select_by_value("")
    box = browser.find_element(By.ID, "f-country")
    box.send_keys("RU")
    wait_for(lambda: browser.find_element(By.ID, "shown-count").text == str(ru), timeout=5)
    assert visible_rows(browser) == ru
    browser.find_element(By.ID, "f-reset").click()
    conf = browser.find_element(By.ID, "f-conf")
    conf.clear()
    conf.send_keys("0.9")
    wait_for(lambda: browser.find_element(By.ID, "shown-count").text == str(confident), timeout=5)
    browser.find_element(By.ID, "f-reset").click()
    assert visible_rows(browser) == total

    row = browser.find_elements(By.CSS_SELECTOR, "tr.cluster")[0]
    row.click()
    detail = browser.find_element(By.CSS_SELECTOR, "tr.detail")
    assert detail.find_elements(By.CSS_SELECTOR, "blockquote.evidence mark.party")
    assert detail.find_elements(By.CSS_SELECTOR, "blockquote.evidence mark.trigger")
    assert detail.find_element(By.CSS_SELECTOR, ".mention a").get_attribute("href").startswith("https://")

    # the hostile title is shown as text, never run
    for r in browser.find_elements(By.CSS_SELECTOR, "tr.cluster"):
        r.click()
    assert HOSTILE in browser.find_element(By.ID, "clusters").text
    assert browser.execute_script("return window.__pwned") is None

    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0  # no network
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
