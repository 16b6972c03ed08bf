"""GraphiQL in a real headless Chromium: runs a query with nothing fetched from elsewhere,
opens the store's examples and shared links, and runs a subscription over a WebSocket.
Each test saves screenshots in its tmp_path.

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

from server.graphiql_examples import examples
from server.graphiql_pins import VENDOR_DIR, is_verified, load_manifest
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

QUERY_TEXT = """
var editor = document.querySelector(".graphiql-query-editor .CodeMirror");
return editor ? editor.CodeMirror.getValue() : null;
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
        "--window-size=1400,900",
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
    live_server: RunningServer, browser: Any, tmp_path: Path
) -> None:
    try:
        _run_a_query_offline_under_the_csp(live_server, browser)
    finally:
        browser.save_screenshot(str(tmp_path / "graphiql-offline.png"))


def _run_a_query_offline_under_the_csp(live_server: RunningServer, browser: Any) -> None:
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
    browser.find_element(By.CSS_SELECTOR, '[aria-label="Add tab"]').click()
    wait.until(lambda d: d.execute_script(QUERY_TEXT) != examples()[0].text)
    _set_query(browser, wait, "{ __typename }")
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


def _open_graphiql(driver: Any, url: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    if not is_verified(load_manifest(), VENDOR_DIR):
        pytest.fail(
            "GraphiQL assets are not installed: run `python -m server.graphiql_assets fetch`"
        )
    driver.get(url)
    wait = WebDriverWait(driver, WAIT_SECONDS)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"))
    return wait


def _set_query(driver: Any, wait: Any, text: str) -> None:
    """Types `text` into the query editor and waits for GraphiQL to parse it."""
    driver.execute_script(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue("
        "arguments[0]);",
        text,
    )
    _wait_until_parsed(wait, text)


def _wait_until_parsed(wait: Any, text: str) -> None:
    """GraphiQL names the operation to run from its last parse of the editor, which lags a
    change (typing, a tab switch) by a debounce: running before it names the old one."""
    wait.until(
        lambda d: d.execute_script(
            "var cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;"
            "return Boolean(cm.documentAST) && cm.documentAST.loc.source.body === arguments[0];",
            text,
        )
    )


EDITOR_TOOLS_TEXT = """
return Array.from(document.querySelectorAll(".graphiql-editor-tool .CodeMirror"))
  .map(function (editor) { return editor.CodeMirror.getValue(); }).join("\\n");
"""


def _result(driver: Any) -> Any:
    text = driver.execute_script(RESULT_TEXT) or ""
    try:
        return json.loads(text)
    except ValueError:
        return None


def _no_csp_violations(driver: Any) -> None:
    violations = driver.execute_script("return window.__cspViolations")
    console = [entry["message"] for entry in driver.get_log("browser")]
    assert violations == [], f"CSP violations {violations}; console: {console}"


WITH_DEMO_DATA = pytest.mark.parametrize("live_server", ["demo"], indirect=True)


@WITH_DEMO_DATA
def test_the_first_example_tab_runs_and_shows_data(
    live_server: RunningServer, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    shown = examples()
    try:
        wait = _open_graphiql(browser, live_server.graphql_url)
        tabs = browser.find_elements(By.CSS_SELECTOR, ".graphiql-tab")
        assert len(tabs) == len(shown)
        _wait_until_parsed(wait, shown[0].text)
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait.until(lambda d: _result(d) is not None)
        products = _result(browser)["data"]["products"]
        assert products["totalCount"] > 0
        assert all(node["category"]["name"] == "Lighting" for node in products["nodes"])
        browser.save_screenshot(str(tmp_path / "graphiql-first-example.png"))

        # The customer's tab carries the demo customer's token: their own orders come back.
        tabs[1].click()
        _wait_until_parsed(wait, shown[1].text)
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait.until(lambda d: "MyOrders" not in (d.execute_script(RESULT_TEXT) or "MyOrders"))
        orders = _result(browser)["data"]["orders"]["nodes"]
        assert orders
        assert len({order["customer"]["email"] for order in orders}) == 1
        assert all(order["lines"] for order in orders)

        # A second visit keeps the visitor's tabs, their headers (tokens) included.
        browser.refresh()
        wait.until(lambda d: d.execute_script(QUERY_TEXT) == shown[1].text)
        assert len(browser.find_elements(By.CSS_SELECTOR, ".graphiql-tab")) == len(shown)
        assert "Bearer " in browser.execute_script(EDITOR_TOOLS_TEXT)  # variables, headers

        # The explorer builds queries by clicking fields.
        browser.find_element(By.CSS_SELECTOR, '[aria-label="Show GraphiQL Explorer"]').click()
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".graphiql-explorer-root"))
        explorer = browser.find_element(By.CSS_SELECTOR, ".graphiql-explorer-root").text
        assert "products" in explorer
        assert "orders" in explorer
    finally:
        browser.save_screenshot(str(tmp_path / "graphiql-second-visit.png"))
    _no_csp_violations(browser)


@WITH_DEMO_DATA
def test_a_shared_link_opens_its_query_in_the_editor(
    live_server: RunningServer, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    query = "{ products(first: 3) { nodes { name } } }"
    link = httpx.URL(live_server.graphql_url, params={"query": query, "variables": '{"unused": 1}'})
    try:
        wait = _open_graphiql(browser, str(link))
        assert browser.execute_script(QUERY_TEXT) == query
        variables = browser.execute_script(
            "return document.querySelector('.graphiql-editor-tool .CodeMirror')"
            ".CodeMirror.getValue();"
        )
        assert variables == '{"unused": 1}'
        # The shared query is the active tab, the examples follow it.
        tabs = browser.find_elements(By.CSS_SELECTOR, ".graphiql-tab")
        assert len(tabs) == 1 + len(examples())
        assert "graphiql-tab-active" in tabs[0].get_attribute("class")
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait.until(lambda d: _result(d) is not None)
        assert len(_result(browser)["data"]["products"]["nodes"]) == 3
    finally:
        browser.save_screenshot(str(tmp_path / "graphiql-shared-link.png"))
    _no_csp_violations(browser)


class _SubscriptionServer:
    """GraphiQL's page and, on the same path, the few graphql-transport-ws messages one
    subscription needs: the part another server speaks, played here to see what GraphiQL
    sends and that it shows what comes back."""

    def __init__(self) -> None:
        from starlette.applications import Starlette
        from starlette.routing import Route, WebSocketRoute

        import server.graphiql as graphiql

        self.init_payloads: list[Any] = []
        self.app = Starlette(
            routes=[
                Route("/graphql", graphiql.page),
                WebSocketRoute("/graphql", self._socket),
                *graphiql.routes(),
            ]
        )

    async def _socket(self, socket: Any) -> None:
        await socket.accept(subprotocol="graphql-transport-ws")
        init = await socket.receive_json()
        self.init_payloads.append(init.get("payload"))
        await socket.send_json({"type": "connection_ack"})
        subscribe = await socket.receive_json()
        event = {"data": {"__typename": "Subscription"}}
        await socket.send_json({"id": subscribe["id"], "type": "next", "payload": event})
        await socket.send_json({"id": subscribe["id"], "type": "complete"})
        await socket.receive_json()  # GraphiQL closes the socket or completes; either ends it


@pytest.fixture
def subscription_server() -> Iterator[tuple[_SubscriptionServer, str]]:
    import threading

    import uvicorn

    from server.embedded import free_port

    played = _SubscriptionServer()
    port = free_port()
    config = uvicorn.Config(played.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = 100
    while not server.started and deadline:
        deadline -= 1
        thread.join(0.1)
    assert server.started
    try:
        yield played, f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_subscription_runs_with_the_headers_as_connection_init_payload(
    subscription_server: tuple[_SubscriptionServer, str], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    played, url = subscription_server
    try:
        wait = _open_graphiql(browser, url)
        browser.execute_script(
            "document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1]"
            ".CodeMirror.setValue(arguments[0]);",
            '{"Authorization": "Bearer abc"}',
        )
        _set_query(browser, wait, "subscription Watch { __typename }")
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait.until(lambda d: _result(d) == {"data": {"__typename": "Subscription"}})
    finally:
        browser.save_screenshot(str(tmp_path / "graphiql-subscription.png"))
    assert played.init_payloads == [{"authorization": "Bearer abc"}]


def _staff_token(server: RunningServer) -> str:
    """The staff token `serve` logs at start-up in development."""
    for line in server.log().splitlines():
        message = json.loads(line).get("message", "") if line.startswith("{") else ""
        if message.startswith("development token, staff"):
            return str(message.rsplit("Bearer ", 1)[1])
    raise AssertionError("serve logged no staff token")


def _post(server: RunningServer, token: str, query: str, **variables: Any) -> Any:
    response = httpx.post(
        server.graphql_url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


UPDATE_PRICE = """mutation($id: ID!, $rev: Int!) {
  updateProduct(id: $id, rev: $rev, patch: {price: "12.34"}) { __typename } }"""
REV = "query($id: ID!) { node(id: $id) { ... on Product { rev } } }"


@WITH_DEMO_DATA
def test_a_subscription_in_graphiql_shows_a_change_made_elsewhere(
    live_server: RunningServer, browser: Any, tmp_path: Path
) -> None:
    """GraphiQL, offline, subscribes over the server's own graphql-transport-ws and shows
    the event of a price another client changed."""
    from selenium.webdriver.common.by import By

    staff = _staff_token(live_server)
    first = _post(live_server, staff, "{ products(first: 1) { nodes { id name } } }")
    product = first["products"]["nodes"][0]
    subscription = "subscription Watch { productChanged { kind product { name price } } }"

    def shown(driver: Any) -> bool:
        """Writes the price until the subscription, which may still be starting, shows it."""
        result = _result(driver)
        if result is None:
            rev = _post(live_server, staff, REV, id=product["id"])["node"]["rev"]
            _post(live_server, staff, UPDATE_PRICE, id=product["id"], rev=rev)
        return result is not None

    try:
        wait = _open_graphiql(browser, live_server.graphql_url)
        browser.execute_script(
            "document.querySelectorAll('.graphiql-editor-tool .CodeMirror')[1]"
            ".CodeMirror.setValue(arguments[0]);",
            json.dumps({"Authorization": f"Bearer {staff}"}),
        )
        _set_query(browser, wait, subscription)
        browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
        wait.until(shown)
        event = _result(browser)["data"]["productChanged"]
        assert event == {"kind": "UPDATED", "product": {"name": product["name"], "price": "12.34"}}
    finally:
        browser.save_screenshot(str(tmp_path / "graphiql-live-subscription.png"))
    _no_csp_violations(browser)
