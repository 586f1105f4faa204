"""What Lighthouse's accessibility audit (make bench, bench/lighthouse.py) found on the pages,
kept fixed: axe's own rules, as Lighthouse runs them, on a phone, light and dark."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model

from generations.models import Project
from prompts.models import Preset
from tests.helpers import make_ready_generation
from tests.test_accessibility import VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long studio password"


def violations(page, *rules: str) -> list[str]:
    results = Axe().run(page, options={"runOnly": list(rules), "resultTypes": ["violations"]})
    return [
        f"{violation['id']}: " + "; ".join(node["html"][:120] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_project_label_on_a_card_and_the_presets_library_read_well(live_server, browser, scheme):
    maya = get_user_model().objects.create_user("maya", password=PASSWORD, is_staff=True)
    project = Project.objects.create(name="Spring campaign", created_by=maya)
    make_ready_generation(maya, prompt="A paper kite over the wheat", project=project)
    Preset.objects.create(owner=maya, name="Product shot", prompt="A {product} on a table")
    context = browser.new_context(color_scheme=scheme, **VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "maya")
    page.fill("#id_password", PASSWORD)
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_url(live_server.url + "/")

    # The blue label on the card: the tile's link colour once made its text dark on blue.
    label = page.locator("#gallery .project-label").first
    assert label.inner_text() == "Spring campaign"
    assert label.evaluate("e => getComputedStyle(e).color") == "rgb(255, 255, 255)"
    assert violations(page, "color-contrast") == []

    # A preset's name is a heading right under the page's h1, not a level below a missing one.
    page.goto(live_server.url + "/presets/")
    assert page.get_by_role("heading", level=2, name="Product shot").is_visible()
    assert violations(page, "heading-order", "color-contrast") == []
    context.close()
