"""Real-browser tests: Debian's Chromium driven by Playwright against a real server process.

Skipped, with the reason printed, only where no Chromium exists and CI is unset;
in CI a missing browser fails the run (see .ci/run, which installs it).
"""

from __future__ import annotations

import os
import shutil

import pytest
from django.contrib.auth import get_user_model

from tests.interop.conftest import server_factory  # noqa: F401  (fixture)

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ADMIN_PASSWORD = "pw-admin-browser-123"


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module.

    Not per session: while Playwright runs, DJANGO_ALLOW_ASYNC_UNSAFE must stay
    set, and tests of other modules on the same worker (tests/project starts
    ``check --deploy`` with this environment) must not inherit it.
    """
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install it (apt-get install -y chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium to run the browser tests")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM
    # calls the tests make around it are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        try:
            yield browser
        finally:
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def live(server_factory):  # noqa: F811
    return server_factory()


@pytest.fixture
def page(browser, request, tmp_path_factory):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        # What the browser showed when the test failed, for whoever reads the CI log.
        path = tmp_path_factory.mktemp("browser") / f"{request.node.name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failure: {path}")
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def superuser(transactional_db):
    return get_user_model().objects.create_superuser("root", "root@example.com", ADMIN_PASSWORD)


def log_in(page, live, username: str, password: str = ADMIN_PASSWORD) -> None:
    page.goto(f"{live.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live.url}/admin/")
