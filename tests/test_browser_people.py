"""An admin in real Chromium: adds a teammate, copies the set-password link with the Copy
button, reloads the page (the link is still there), and the teammate chooses a password in
the studio's own page."""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long studio password"


def test_an_admin_copies_a_new_link_reloads_and_the_teammate_sets_a_password(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    settings,
):
    settings.EMAIL_HOST_CONFIGURED = False
    get_user_model().objects.create_user("carol", password=PASSWORD, is_staff=True)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    page.goto(live_server.url + "/people/")
    page.fill("#id_username", "dave")
    page.get_by_role("button", name="Add and make a set-password link").click()
    page.get_by_role("heading", name="dave can now choose a password").wait_for()
    link = page.input_value("#invite-link")

    page.get_by_role("button", name="Copy").click()
    page.get_by_role("button", name="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link

    page.reload()  # a GET: nothing is posted again, the link is still shown
    assert page.input_value("#invite-link") == link
    assert get_user_model().objects.filter(username="dave").count() == 1

    teammate = browser.new_context().new_page()
    teammate.goto(link)
    teammate.get_by_role("heading", name="Choose your password").wait_for()
    assert teammate.locator(".topbar").count() == 1  # the studio's look, not the admin's
    teammate.fill("#id_new_password1", "a fresh long passphrase 9")
    teammate.fill("#id_new_password2", "a fresh long passphrase 9")
    teammate.get_by_role("button", name="Save my password").click()
    teammate.get_by_role("heading", name="Your password is saved").wait_for()

    page.reload()  # used: the People page no longer offers it
    assert page.locator("#invite-link").count() == 0
    context.close()
