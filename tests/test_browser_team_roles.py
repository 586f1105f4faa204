"""Roles and a project budget in real Chromium: an admin makes "Spring perfume" with a $5
budget and makes Rita a reviewer; Mia, a member, makes videos into it and moves an older one
in; Rita finds them on the project's page, comments, downloads, and is offered no Generate;
Mia's next job, which would pass the budget, is refused before anything is sent, naming the
project's budget. Screenshots at a phone's and a desktop's size (test-results/team-*.png)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from billing.models import AuditEntry, LedgerEntry
from generations.access import is_reviewer
from generations.models import Comment, Generation, Project
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)
from tests.test_browser_first_screen import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"team-{name}.png"), full_page=True)


def log_in(browser, live_server, size, username):  # noqa: F811
    context = browser.new_context(viewport=SIZES[size], accept_downloads=True)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return context, page


def generate(page, live_server, model: str, prompt: str) -> None:
    """The New video form, 8 seconds at 720p, into Spring perfume."""
    page.goto(live_server.url + "/new/")
    page.get_by_label("Project", exact=True).select_option(label="Spring perfume")
    page.locator(f'label.choice[data-value="{model}"]').click()
    page.locator('label.choice[data-value="8"]').click()
    page.get_by_label("Prompt").fill(prompt)
    page.get_by_role("button", name="Generate").click()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_reviewer_watches_and_comments_and_the_budget_refuses_the_job_that_would_pass_it(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    users = get_user_model().objects
    users.create_user("boss", password=PASSWORD, is_staff=True)
    mia = users.create_user("mia", password=PASSWORD, first_name="Mia")
    rita = users.create_user("rita", password=PASSWORD, first_name="Rita")
    older = make_ready_generation(mia, prompt="Perfume bottle on wet marble, macro")

    # The admin makes the project, gives it a $5 monthly budget, and makes Rita a reviewer.
    admin_context, admin = log_in(browser, live_server, size, "boss")
    open_menu(admin)  # on a phone the navigation is behind the Menu button
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    admin.get_by_label("Name").fill("Spring perfume")
    admin.get_by_role("button", name="Make the project").click()
    admin.get_by_role("heading", name="Spring perfume", level=1).wait_for()
    admin.get_by_label("Monthly budget ($)").fill("5")
    admin.get_by_role("button", name="Save budget").click()
    admin.get_by_text("Budget saved.").wait_for()
    project = Project.objects.get()
    assert project.monthly_budget == 5

    open_menu(admin)
    admin.get_by_role("link", name="People").click()
    admin.locator(f"#role-{rita.pk}").select_option("reviewer")
    admin.locator(f'#person-{rita.pk} button[value="save"]').click()
    admin.get_by_text("Saved rita.").wait_for()
    assert is_reviewer(users.get(pk=rita.pk))
    assert AuditEntry.objects.filter(action="role_changed", subject=rita).exists()
    shoot(admin, f"people-{size}")

    # Mia makes two videos into it ($2.56 and $0.64) and moves an older one in.
    mia_context, member = log_in(browser, live_server, size, "mia")
    generate(member, live_server, "veo3.1", "A perfume bottle turns slowly in morning light")
    member.wait_for_url(re.compile(r"/videos/"))
    generate(member, live_server, "veo3.1-fast", "Petals fall past the bottle, close up")
    member.wait_for_url(re.compile(r"/videos/"))
    member.goto(live_server.url + "/")
    member.locator(f"#card-{older.pk} .pick").click()
    member.locator("#move-selection").select_option(label="Spring perfume")
    member.get_by_role("button", name="Move to project").click()
    member.get_by_text("Moved 1 video into “Spring perfume”.").wait_for()
    assert Generation.objects.filter(project=project).count() == 3

    # Rita finds them on the project's page, is offered no Generate, comments and downloads.
    rita_context, reviewer = log_in(browser, live_server, size, "rita")
    assert reviewer.get_by_role("link", name="New video").count() == 0
    assert "Reviewer" in reviewer.locator(".topbar").inner_text()
    open_menu(reviewer)
    reviewer.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    reviewer.get_by_role("link", name="Spring perfume").click()
    cards = reviewer.locator("#gallery .tile")
    cards.first.wait_for()
    assert cards.count() == 3
    assert reviewer.get_by_role("link", name="New video").count() == 0
    assert reviewer.get_by_role("button", name="Move to project").count() == 0
    assert "$3.20" in reviewer.inner_text("#project-budget")
    shoot(reviewer, f"project-reviewer-{size}")

    reviewer.locator(f"#card-{older.pk} a.tile-link").click()
    reviewer.wait_for_url(re.compile(f"/videos/{older.pk}/"))
    assert reviewer.get_by_role("link", name="Make another like this").count() == 0
    assert reviewer.get_by_role("button", name="Delete").count() == 0
    reviewer.get_by_role("textbox", name="Comment").fill(
        "Lovely light on the marble. Keep this one."
    )
    reviewer.get_by_role("button", name="Comment", exact=True).click()
    reviewer.locator(".comments").get_by_text("Lovely light on the marble.").wait_for()
    with reviewer.expect_download() as download:
        reviewer.get_by_role("link", name="Download MP4").click()
    assert download.value.suggested_filename.endswith(".mp4")
    assert Comment.objects.filter(author=rita, generation=older).count() == 1
    shoot(reviewer, f"video-reviewer-{size}")

    # Mia's next $2.56 job would bring the month to $5.76: refused, nothing sent.
    held = LedgerEntry.objects.count()
    generate(member, live_server, "veo3.1", "One more turn of the bottle, slower")
    refusal = member.locator(".form-error").filter(has_text="Spring perfume")
    refusal.first.wait_for()
    text = refusal.first.inner_text()
    assert "the project “Spring perfume” has $1.80 left of its monthly budget" in text
    assert "Nothing was sent to CometAPI." in text
    assert "Ask boss to raise it" in text
    assert LedgerEntry.objects.count() == held
    assert not Generation.objects.filter(prompt__startswith="One more turn").exists()
    shoot(member, f"refused-{size}")

    admin.goto(live_server.url + project.get_absolute_url())
    admin.locator("#project-budget").wait_for()
    assert "$3.20 of $5.00" in admin.inner_text("#project-budget")
    shoot(admin, f"project-admin-{size}")

    # The Usage page breaks the month down by project, for charging the client back.
    open_menu(admin)
    admin.get_by_role("navigation", name="Main").get_by_role("link", name="Usage").click()
    by_project = admin.locator("#usage-by-project")
    row = by_project.locator("tbody tr").filter(has_text="Spring perfume")
    assert "$3.20" in row.inner_text()  # held for its two videos; the moved one stays out
    shoot(admin, f"usage-{size}")
    for context in (admin_context, mia_context, rita_context):
        context.close()
