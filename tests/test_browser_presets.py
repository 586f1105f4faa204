"""Presets in real Chromium: Alice saves the New video form as a team preset with a
{product} variable, picks it again for "perfume", adds the team's Brand look style block,
presses Improve my prompt (the simulator's suggestion appears as a word difference, is
accepted and edited), and generates; the video is recorded as made from the preset and the
suggestion's cost is on the ledger. Screenshots at a phone's and a desktop's size
(test-results/presets-*.png)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from billing.models import EntryKind, LedgerEntry
from generations.models import Generation
from prompts.models import Preset, PresetUse, Scope, StyleBlock
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}
TEMPLATE = "A bottle of {product} on wet marble, soft morning light"
BRAND = "warm tones, 35 mm film, shallow depth of field"


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"presets-{name}.png"), full_page=True)


@pytest.fixture
def patient_chat(simulator, settings):
    """The simulator's fixture keeps CometAPI's read timeout at 2 s so that timeouts are
    quick to test; on a busy machine the chat answer can take longer, and the flow would
    wait for a suggestion that became a timeout sentence. Here the answer is what we test."""
    settings.COMETAPI_READ_TIMEOUT = 20


@pytest.mark.parametrize("size", list(SIZES))
def test_alice_saves_a_preset_uses_it_for_perfume_improves_the_prompt_and_generates(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    patient_chat,
    size,
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    boss = users.create_user("boss", password=PASSWORD, is_staff=True)
    StyleBlock.objects.create(name="Brand look", text=BRAND, created_by=boss)

    context = browser.new_context(viewport=SIZES[size])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))

    # She writes a prompt with a {product} variable, picks 6 seconds and saves it for the team.
    page.get_by_role("banner").get_by_role("link", name="New video").click()
    page.get_by_label("Prompt", exact=True).fill(TEMPLATE)
    page.locator("#field-seconds label.choice", has_text="6 seconds").click()
    page.get_by_role("button", name="Save as preset…").click()
    page.get_by_label("Preset name").fill("Product shot")
    page.locator("#save-preset label.choice", has_text="The whole team").click()
    page.get_by_role("button", name="Save preset", exact=True).click()
    page.get_by_text("Saved as the preset “Product shot” (team).").wait_for()
    preset = Preset.objects.get()
    assert (preset.prompt, preset.seconds, preset.scope) == (TEMPLATE, 6, Scope.TEAM)

    # Later, on a fresh form: the preset, its variable filled with "perfume".
    page.goto(live_server.url + "/new/")
    page.get_by_label("Start from a preset").select_option(label="Product shot")
    page.get_by_label("product", exact=True).fill("perfume")
    shoot(page, f"variables-{size}")
    page.get_by_role("button", name="Put into the prompt").click()
    prompt = page.get_by_label("Prompt", exact=True)
    filled = "A bottle of perfume on wet marble, soft morning light"
    page.wait_for_function(
        "text => document.querySelector('#id_prompt').value === text", arg=filled
    )
    assert page.locator("#field-seconds input[value='6']").is_checked()

    # The Brand look style block goes into the prompt, visibly.
    page.get_by_role("button", name="+ Brand look").click()
    assert prompt.input_value() == f"{filled}. Warm tones, 35 mm film, shallow depth of field"

    # Improve my prompt: the simulator's suggestion, as a difference beside hers.
    page.get_by_role("button", name="Improve my prompt").click()
    page.locator("#improve-result").wait_for()
    added = page.locator("#diff-suggestion ins").all_inner_texts()
    assert [text.strip() for text in added][0] == "Cinematic shot:"
    assert page.locator("#diff-original").inner_text().startswith("A bottle of perfume")
    assert Generation.objects.count() == 0  # nothing is made before Generate
    shoot(page, f"improve-{size}")
    suggestion = page.locator("#suggestion-text").input_value()
    assert suggestion.startswith(f"Cinematic shot: {filled}. Warm tones, 35 mm film, shallow")

    # She edits the suggestion, accepts it (the button; Ctrl+Enter in the box on a laptop,
    # which must not start the form's Generate), edits it again, and generates.
    editor = page.locator("#suggestion-text")
    editor.press("Control+End")
    editor.type(" Slow motion.")
    suggestion += " Slow motion."
    if size == "phone":
        page.get_by_role("button", name="Use this prompt").click()
    else:
        editor.press("Control+Enter")
    assert prompt.input_value() == suggestion
    assert Generation.objects.count() == 0
    assert page.locator("#improve-result").count() == 0
    prompt.press("Control+End")
    prompt.type(" The label reads Aurora.")
    final = suggestion + " The label reads Aurora."
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/videos/"))
    video = Generation.objects.get()
    assert (video.prompt, video.seconds) == (final, 6)
    assert list(PresetUse.objects.values_list("preset", "generation")) == [(preset.pk, video.pk)]
    help_entry = LedgerEntry.objects.get(kind=EntryKind.PROMPT_HELP)
    assert help_entry.person == alice and help_entry.charged > 0

    # The library counts the video.
    page.goto(live_server.url + "/presets/")
    row = page.locator(f"#preset-{preset.pk}")
    assert "Used for 1 video" in row.inner_text()
    shoot(page, f"library-{size}")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_preset_pages_pass_axe(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    patient_chat,
    size,
    scheme,
):
    from tests.test_accessibility import serious

    users = get_user_model().objects
    boss = users.create_user("boss", password=PASSWORD, is_staff=True)
    Preset.objects.create(owner=boss, name="Product shot", prompt=TEMPLATE, scope=Scope.TEAM)
    StyleBlock.objects.create(name="Brand look", text=BRAND, created_by=boss)
    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    found = {}
    page.goto(live_server.url + "/presets/")
    found["library"] = serious(page)
    page.goto(live_server.url + f"/presets/{Preset.objects.get().pk}/edit/")
    found["edit"] = serious(page)
    if scheme == "light":
        shoot(page, f"edit-{size}")
    page.goto(live_server.url + "/new/")
    page.get_by_label("Start from a preset").select_option(label="Product shot")
    page.locator("#preset-variables").wait_for()
    page.get_by_role("button", name="Save as preset…").click()
    page.get_by_label("product", exact=True).fill("perfume")
    page.get_by_role("button", name="Put into the prompt").click()
    # The filled prompt comes back from the server: improve that one, not the template.
    page.wait_for_function("() => document.querySelector('#id_prompt').value.includes('perfume')")
    page.get_by_role("button", name="Improve my prompt").click()
    page.locator("#improve-result").wait_for()
    found["new video with the tools open"] = serious(page)
    if size == "desktop" and scheme == "dark":
        shoot(page, "improve-dark")
    context.close()
    assert {name: issues for name, issues in found.items() if issues} == {}
