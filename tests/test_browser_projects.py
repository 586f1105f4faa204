"""A project in real Chromium: Alice makes "Spring perfume", makes a video into it from the
New video form, moves an older video in from her gallery's selection, and finds both on
the project's page; screenshots of the projects list and the project's page at a phone's
and a desktop's size (test-results/projects-*.png)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from generations.models import Generation, Project
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)
from tests.test_browser_first_screen import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"projects-{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_alice_makes_a_project_makes_a_video_into_it_moves_an_older_one_in_and_sees_both(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD, first_name="Alice", last_name="Moreau")
    bob = users.create_user("bob", password=PASSWORD, first_name="Bob")
    older = make_ready_generation(alice, prompt="Perfume bottle on wet marble, macro")
    make_ready_generation(alice, prompt="An unrelated test of the kite")
    make_ready_generation(bob, prompt="Bob's own draft")

    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    # She makes the project from the Projects page.
    open_menu(page)  # on a phone the navigation is behind the Menu button
    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_label("Name").fill("Spring perfume")
    page.get_by_label("Description").fill("The May launch: bottle shots and a 6-second spot.")
    page.locator("label.choice", has_text="Pink").click()
    page.get_by_role("button", name="Make the project").click()
    page.get_by_role("heading", name="Spring perfume").wait_for()
    project = Project.objects.get()

    # A new video into it, picked on the New video form.
    page.get_by_role("banner").get_by_role("link", name="New video").click()
    page.get_by_label("Project", exact=True).select_option(label="Spring perfume")
    page.get_by_label("Prompt").fill("A perfume bottle turns slowly in morning light")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/videos/"))
    made = Generation.objects.get(prompt__startswith="A perfume bottle turns")
    assert made.project == project

    # The older one moved in from the gallery's selection bar.
    page.goto(live_server.url + "/")
    page.locator(f"#card-{older.pk} .pick").click()
    page.locator("#move-selection").select_option(label="Spring perfume")
    page.get_by_role("button", name="Move to project").click()
    page.get_by_text("Moved 1 video into “Spring perfume”.").wait_for()
    card = page.locator(f"#card-{older.pk}")
    assert card.locator(".project-label").inner_text() == "Spring perfume"

    # The project's page shows both, and nothing else.
    page.goto(live_server.url + project.get_absolute_url())
    cards = page.locator("#gallery .tile")
    cards.first.wait_for()
    texts = cards.all_inner_texts()
    assert len(texts) == 2
    assert any("A perfume bottle turns" in text for text in texts)
    assert any("Perfume bottle on wet marble" in text for text in texts)
    assert "Everyone in the studio sees its videos." in page.inner_text("#project-spend")
    shoot(page, f"page-{size}")

    open_menu(page)  # on a phone the navigation is behind the Menu button
    page.get_by_role("link", name="Projects", exact=True).click()
    row = page.locator(f"#project-row-{project.pk}")
    assert "2 videos" in row.inner_text()
    shoot(page, f"list-{size}")

    # Bob, in the studio, sees the project's videos (it is open) but not Alice's drafts.
    bob_context = browser.new_context(viewport=SIZES[size])
    bob_page = bob_context.new_page()
    bob_page.goto(live_server.url + "/accounts/login/")
    bob_page.fill("#id_username", "bob")
    bob_page.fill("#id_password", PASSWORD)
    bob_page.click("button[type=submit]")
    bob_page.wait_for_url(re.compile(r"/$"))
    bob_page.goto(live_server.url + project.get_absolute_url())
    bob_page.locator("#gallery .tile").first.wait_for()
    assert bob_page.locator("#gallery .tile").count() == 2
    assert "An unrelated test of the kite" not in bob_page.content()
    assert "By Alice Moreau" in bob_page.inner_text("#gallery")
    bob_context.close()
    context.close()
