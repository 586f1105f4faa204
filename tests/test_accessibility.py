"""axe-core on every page, logged in and out, on a phone and a laptop, light and dark:
no serious or critical violations (and no page scrolls sideways)."""

import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse

from generations.models import Comment
from tests.helpers import make_generation, make_ready_generation
from tests.test_browser_first_screen import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long studio password"
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "laptop": {"viewport": {"width": 1440, "height": 900}},
}
OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa", "best-practice"],
}


def serious(page) -> list[str]:
    results = Axe().run(page, options=OPTIONS)
    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    return ["scrolls sideways"] * wide + [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def studio(db):
    maya = get_user_model().objects.create_user("maya", password=PASSWORD, is_staff=True)
    ready = make_ready_generation(maya, prompt="A paper kite floats above a wheat field.")
    # Shared and discussed: the Team view's "Shared" badge and a comment's moment link.
    ready.share(actor=maya)
    ready.save()
    Comment.objects.create(generation=ready, author=maya, body="Hold on the kite.", at_seconds=0.5)
    running = make_generation(maya, prompt="A lighthouse at dusk, waves below.")
    running.mark_submitted("task_running")
    running.mark_progress(50, started=True)
    running.save()
    failed = make_generation(maya, prompt="A storm over the harbour.")
    failed.mark_failed("Veo could not make this video: blocked by safety filters.", "task:failed")
    failed.save()
    group = uuid.uuid4()
    takes = [
        make_ready_generation(
            maya, prompt="Rain on a café window.", take_group=group, take_number=n
        )
        for n in (1, 2)
    ]
    # Someone who left, with a private video: the Deactivate and "Their videos" pages.
    leo = get_user_model().objects.create_user("leo", password=PASSWORD, is_active=False)
    make_ready_generation(leo, prompt="A private sketch of the harbour.")
    noor = get_user_model().objects.create_user("noor", password=PASSWORD)
    return {
        "ready": ready,
        "running": running,
        "failed": failed,
        "maya": maya,
        "takes": takes,
        "leo": leo,
        "noor": noor,
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", sorted(VIEWPORTS))
def test_every_page_passes_axe(live_server, browser, studio, device, scheme):
    context = browser.new_context(color_scheme=scheme, **VIEWPORTS[device])
    page = context.new_page()
    url = live_server.url
    found = {}
    with override_settings(DEMO_MODE=True):
        page.goto(url + "/accounts/login/")
        found["login"] = serious(page)
        page.fill("#id_username", "maya")
        page.fill("#id_password", "not the password")
        # axe must read the answer's page, not the one being left
        with page.expect_navigation():
            page.click("form[action$='/login/'] button[type=submit]")
        found["login refused"] = serious(page)
        page.fill("#id_username", "maya")
        page.fill("#id_password", PASSWORD)
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_url(url + "/")
        pages = {
            "gallery": "/",
            "create": "/new/",
            "ready video": studio["ready"].get_absolute_url(),
            "running video": studio["running"].get_absolute_url(),
            "failed video": studio["failed"].get_absolute_url(),
            "usage": reverse("billing:usage"),
            "prices": reverse("billing:prices"),
            "team": reverse("billing:team"),
            "audit": reverse("billing:audit"),
            "team videos": reverse("generations:team"),
            "trash": reverse("generations:trash"),
            "studio settings": reverse("generations:studio_settings"),
            "make another": reverse("generations:make_another", args=[studio["ready"].pk]),
            "takes": reverse("generations:takes", args=[studio["takes"][0].pk]),
            "compare": reverse("generations:compare")
            + f"?ids={studio['takes'][0].pk}&ids={studio['takes'][1].pk}",
            "change my password": reverse("password_change"),
            "deactivate": reverse("billing:team_deactivate", args=[studio["noor"].pk]),
            "their videos": reverse("billing:team_videos", args=[studio["leo"].pk]),
        }
        for name, path in pages.items():
            page.goto(url + path)
            found[name] = serious(page)
        page.goto(url + reverse("billing:team"))
        with page.expect_navigation():
            page.click(
                f"form[action='{reverse('billing:team_link', args=[studio['noor'].pk])}'] button"
            )
        found["team with a new link"] = serious(page)
        page.goto(url + "/new/")
        page.click("#generate-button")
        page.wait_for_load_state("load")
        found["create refused"] = serious(page)
        open_menu(page)  # on a phone Log out is behind the Menu button
        page.click("button[aria-label='Log out maya']")
        page.wait_for_url("**/login/**")
        found["logged out"] = serious(page)
        page.goto(url + reverse("forgot_password"))
        found["forgot password"] = serious(page)
    context.close()
    assert {name: issues for name, issues in found.items() if issues} == {}
