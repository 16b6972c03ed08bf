"""GraphiQL in a real headless Chromium: runs a query with nothing fetched from elsewhere.

Uses Debian's `chromium` and `chromium-driver` (override the paths with CHROMIUM_BINARY and
CHROMEDRIVER). Selenium is pointed at the driver explicitly so it never downloads one.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from server.graphiql_assets import VENDOR_DIR, is_verified, load_manifest
from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT_SECONDS = 30

# Records CSP violations from the first byte of every document, before any page script runs.
VIOLATION_RECORDER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""

RESULT_TEXT = """
var result = document.querySelector(".result-window .CodeMirror");
return result ? result.CodeMirror.getValue() : null;
"""


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if not (_executable(CHROMIUM) and _executable(CHROMEDRIVER)):
        pytest.skip(
            f"Chromium or its driver is missing ({CHROMIUM}, {CHROMEDRIVER}): "
            "apt-get install chromium chromium-driver"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    # Every network request (performance log) and every console message (browser log).
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "driver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": VIOLATION_RECORDER}
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def test_graphiql_runs_a_query_offline_under_the_csp(
    live_server: RunningServer, browser: Any
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    if not is_verified(load_manifest(), VENDOR_DIR):
        pytest.fail(
            "GraphiQL assets are not installed: run `python -m server.graphiql_assets fetch`"
        )

    page = httpx.get(live_server.graphql_url, headers={"Accept": "text/html"})
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe" not in policy

    browser.get("about:blank")
    browser.get_log("performance")  # drop the browser's own start-up page from the record
    browser.get(live_server.graphql_url)
    wait = WebDriverWait(browser, WAIT_SECONDS)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
    browser.execute_script(
        "document.querySelector('.graphiql-query-editor .CodeMirror')"
        ".CodeMirror.setValue('{ __typename }');"
    )
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait.until(lambda d: '"__typename": "Query"' in (d.execute_script(RESULT_TEXT) or ""))

    # A dialog makes GraphiQL add its one inline <style>, which the CSP admits by hash.
    browser.find_element(By.CSS_SELECTOR, '[aria-label="Open settings dialog"]').click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role=dialog]"))
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[role=dialog]"))

    origin = urlsplit(live_server.base_url)
    requested = _requested_urls(browser)
    assert any(url.startswith(live_server.graphql_url) for url in requested)
    elsewhere = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob")
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
    assert elsewhere == [], f"requests left {live_server.base_url}: {elsewhere}"

    # Chromium's console message names the hash a refused inline style would need.
    console = [entry["message"] for entry in browser.get_log("browser")]
    violations = browser.execute_script("return window.__cspViolations")
    assert violations == [], f"CSP violations {violations}; console: {console}"
    assert [m for m in console if "Content Security Policy" in m] == [], console


def _requested_urls(driver: Any) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls
