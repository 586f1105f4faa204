"""The first screen on a phone, in real Chromium at 390×844: for the admin (Boss), a member
(Mia) and a reviewer (Rita), every page they may open shows its subject without scrolling
(the video page's player and its Download button, the gallery's, Team's and a project's
first card, the New video form's prompt, the first line of the other lists). The header's
navigation folds into a Menu button, the demo banner is one line, the gallery's filters
fold behind a Filters button that counts what is set, and the selection's buttons show
once a card is ticked. Compare plays two takes side by side under one control.

Its screenshots are the README's (docs/screenshot-*.png): the phone's first screens, light
and dark, and a laptop's (1440×900)."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from batches.models import Batch
from generations.models import (
    NotificationKind,
    Project,
    Role,
    Size,
    Teammate,
    poster_name,
    video_name,
)
from generations.notifications import notify
from lib.video import probe_mp4
from prompts.models import Preset
from reviewlinks.models import ReviewLink
from sequences.models import Sequence
from tests.factories_media import jpeg_bytes, make_mp4
from tests.helpers import make_generation, make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parent.parent / "docs"
RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1440, "height": 900}


def open_menu(page) -> None:
    """On a narrow screen the navigation is behind the Menu button: open it (a no-op on a
    wide screen, where the links are always shown). Other browser tests use it too."""
    button = page.locator("#menu-button")
    if button.is_visible() and button.get_attribute("aria-expanded") != "true":
        button.click()


def make_portrait(owner, **fields):
    """A finished portrait job, with a portrait MP4 and poster (as a phone would show it)."""
    generation = make_generation(owner, size=Size.PORTRAIT_720, **fields)
    data = make_mp4(180, 320, 2.0)
    name = default_storage.save(video_name(), ContentFile(data))
    poster = default_storage.save(poster_name(), ContentFile(jpeg_bytes(180, 320)))
    generation.task_id = "task_ready"
    generation.mark_saved(
        video_name=name,
        size=len(data),
        info=probe_mp4(default_storage.path(name)),
        poster_name=poster,
    )
    generation.save()
    return generation


@pytest.fixture
def studio(settings):
    settings.DEMO_MODE = True
    users = get_user_model().objects
    boss = users.create_user("boss", password=PASSWORD, is_staff=True, first_name="Boss")
    mia = users.create_user("mia", password=PASSWORD, first_name="Mia", last_name="Laurent")
    rita = users.create_user("rita", password=PASSWORD, first_name="Rita")
    Teammate.set_role(rita, Role.REVIEWER)
    project = Project.objects.create(name="Spring perfume", colour="pink", created_by=boss)
    hero = make_portrait(mia, prompt="A perfume bottle turns slowly in morning light, macro")
    hero.project = project
    hero.save()
    videos = [hero]
    for prompt in (
        "Rain on a café window at dusk, slow push in",
        "A paper kite over a wheat field, golden hour",
        "Perfume bottle on wet marble, drops falling",
    ):
        video = make_ready_generation(mia, prompt=prompt, project=project)
        videos.append(video)
    for video in videos:
        video.share(mia)
    make_ready_generation(boss, prompt="The studio's own ident, a logo in ink")
    notify(
        [boss, mia, rita],
        NotificationKind.COMMENT,
        "Boss commented: “Warmer light at the start?”",
        generation=hero,
        actor=None,
        actor_name="Boss",
        url=hero.get_absolute_url(),
    )
    for person in (boss, mia):
        ReviewLink.create_for(person, name="Client cut", days=7, videos=[hero])
        Sequence.objects.create(owner=person, title="Spring spot, 20 seconds", project=project)
        Preset.objects.create(owner=person, name="Product shot", prompt="A {product} on marble")
        Batch.objects.create(owner=person, name="spring-lines.csv")
    return {"boss": boss, "mia": mia, "rita": rita, "project": project, "hero": hero}


def pages_for(studio, role: str) -> list[tuple[str, str, list[str]]]:
    """(name, URL, the selectors of the page's subject) for what `role` may open."""
    hero, project = studio["hero"], studio["project"]
    video = [
        ("video", hero.get_absolute_url(), ["video.player", "a:has-text('Download MP4')"]),
        ("team", reverse("generations:team"), ["#gallery .tile >> nth=0"]),
        ("projects", reverse("generations:projects"), [f"#project-row-{project.pk}"]),
        ("project", project.get_absolute_url(), ["#gallery .tile >> nth=0"]),
        ("inbox", reverse("inbox:inbox"), [".inbox-line >> nth=0"]),
        ("usage", reverse("billing:usage"), [".stat >> nth=0"]),
    ]
    if role == "reviewer":
        return [("gallery", "/", [".empty"]), *video]
    members = [
        ("gallery", "/", ["#gallery .tile >> nth=0"]),
        ("new", reverse("generations:create"), ["#id_prompt"]),
        *video,
        ("links", reverse("reviewlinks:index"), ["[id^=review-link-] >> nth=0"]),
        ("sequences", reverse("sequences:index"), [".sequence-row >> nth=0"]),
        ("presets", reverse("prompts:library"), [".preset-row >> nth=0"]),
        ("batches", reverse("batches:batches"), ["#sheet-form .dropzone"]),
        ("trash", reverse("generations:trash"), [".empty, .trash-row >> nth=0"]),
    ]
    if role == "admin":
        members.append(("people", reverse("billing:team"), ["[id^=person-] >> nth=0"]))
    return members


def log_in(browser, live_server, username, viewport, scheme="light"):  # noqa: F811
    context = browser.new_context(
        viewport=viewport, color_scheme=scheme, has_touch=viewport == PHONE
    )
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return context, page


def assert_on_first_screen(page, selector: str, height: int, where: str) -> None:
    element = page.locator(selector).first
    element.wait_for()
    box = element.bounding_box()
    assert box is not None, f"{where}: {selector} is not drawn"
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
        f"{where}: {selector} spans y={box['y']:.0f}..{box['y'] + box['height']:.0f}, "
        f"the first screen ends at {height}"
    )


def shoot(page, name: str, docs: str = "") -> None:
    """A screenshot of the first screen in test-results/, and as `docs` in docs/ (the
    README's). A player is shown once its first frame is known (no loading spinner)."""
    players = "video.player, video.compare-player"  # a card's preview loads on hover only
    if page.locator(players).count():
        page.wait_for_function(
            f"() => [...document.querySelectorAll('{players}')].every(v => v.readyState >= 1)"
        )
        page.wait_for_timeout(300)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"first-screen-{name}.png"))
    # Only on request (`UPDATE_README_SCREENSHOTS=1 make test PYTEST_ARGS=...`): a test run
    # must not change tracked files, and a screenshot's bytes differ from run to run.
    if docs and os.environ.get("UPDATE_README_SCREENSHOTS"):
        page.screenshot(path=str(DOCS / docs))


# The README's screenshots: the laptop's gallery is its first picture, the phone's
# portrait video the second.
README_NAMES = {
    "laptop-gallery-light": "screenshot.png",
    "phone-video-light": "screenshot-phone-portrait.png",
}


def docs_name(name: str) -> str:
    return README_NAMES.get(name, f"screenshot-{name}.png")


ROLES = {"admin": "boss", "member": "mia", "reviewer": "rita"}
README_SHOTS = {"gallery", "video", "new"}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_shows_its_subject_on_a_phones_first_screen(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    studio,
    role,
):
    context, page = log_in(browser, live_server, ROLES[role], PHONE)
    for name, url, selectors in pages_for(studio, role):
        page.goto(live_server.url + url)
        page.wait_for_load_state("load")
        readme = role == "member" and name in README_SHOTS
        shoot(page, f"phone-{role}-{name}", docs_name(f"phone-{name}-light") if readme else "")
        for selector in selectors:
            assert_on_first_screen(page, selector, PHONE["height"], f"{role} on {name}")
        # The header is one row: the navigation waits behind the Menu button.
        assert page.locator("#main-nav").is_hidden()
        assert page.locator(".topbar").bounding_box()["height"] <= 60
        assert page.locator(".demo-banner").bounding_box()["height"] <= 48
    context.close()


def test_the_menu_the_banner_the_filters_and_the_selection_on_a_phone(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    studio,
):
    context, page = log_in(browser, live_server, "boss", PHONE)

    # The menu: a button that says whether it is open, every link behind it, Escape closes.
    menu = page.get_by_role("button", name="Menu")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("link", name="Usage").is_hidden()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    for name in ("Gallery", "Team", "Projects", "Presets", "Links", "Sequences", "People"):
        assert (
            page.get_by_role("navigation", name="Main")
            .get_by_role("link", name=name, exact=True)
            .is_visible()
        ), name
    shoot(page, "phone-menu-open", docs_name("phone-menu-open"))
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.get_by_role("link", name="Usage").is_hidden()
    # The keyboard alone: Tab reaches the button, Enter opens, the links follow it.
    menu.focus()
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Gallery"
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") == "menu-button"

    # The demo banner: one line, its whole sentence a tap away.
    banner = page.locator(".demo-banner")
    assert "Demo mode" in banner.inner_text()
    assert banner.get_by_text("Nothing is sent to CometAPI or billed.").is_hidden()
    banner.locator("summary").click()
    assert banner.get_by_text("Nothing is sent to CometAPI or billed.").is_visible()
    banner.locator("summary").click()

    # The filters: folded behind a button that counts what is set.
    page.goto(live_server.url + "/")
    filters = page.locator("#filter-details summary")
    assert filters.inner_text().strip() == "Filters"
    assert page.locator("select[name=orientation]").is_hidden()
    filters.click()
    page.select_option("select[name=orientation]", "landscape")
    page.wait_for_url("**orientation=landscape**")
    assert " ".join(filters.text_content().split()) == "Filters 1 on"
    assert page.locator("select[name=orientation]").is_hidden()

    # The selection's buttons show once a card is ticked, and go when none is.
    compare = page.locator("#compare-button")
    assert compare.is_hidden()
    page.locator("#gallery .tile >> nth=0").locator(".pick").click()
    assert compare.is_visible()
    assert page.locator("#picked-count").inner_text() == "1 selected"
    page.locator("#gallery .tile >> nth=0").locator(".pick").click()
    assert compare.is_hidden()
    context.close()

    # An empty gallery opens on its message: no filters, no selection bar.
    context, page = log_in(browser, live_server, "rita", PHONE)
    assert page.locator("#filters").count() == 0
    assert page.locator("#bulk-form").count() == 0
    assert page.get_by_role("heading", name="No videos yet").is_visible()
    context.close()


def test_compare_plays_two_takes_side_by_side_on_a_phone_and_nothing_covers_them(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    studio,
):
    mia = studio["mia"]
    takes = [
        make_ready_generation(mia, seconds=3.0, prompt=f"Rain on a café window, take {n}")
        for n in (1, 2)
    ]
    url = reverse("generations:compare") + "?" + "&".join(f"ids={t.pk}" for t in takes)
    for viewport, label in ((PHONE, "phone"), (LAPTOP, "laptop")):
        context, page = log_in(browser, live_server, "mia", viewport)
        page.goto(live_server.url + url)
        page.locator("#compare-controls").wait_for()
        players = page.locator("#compare video")
        first, second = players.nth(0).bounding_box(), players.nth(1).bounding_box()
        # Side by side: one row, both whole on the first screen, under the one control.
        assert abs(first["y"] - second["y"]) < 1
        assert first["x"] + first["width"] <= second["x"]
        assert first["width"] >= 150
        for selector in ("#compare-play", "#compare-seek", "#compare figcaption"):
            assert_on_first_screen(page, selector, viewport["height"], f"compare ({label})")
        for box in (first, second):
            assert box["y"] + box["height"] <= viewport["height"]
        # Nothing sticky or fixed sits over the captions.
        covered = page.evaluate(
            """() => [...document.querySelectorAll('#compare figcaption')].some(caption => {
                const box = caption.getBoundingClientRect();
                const top = document.elementFromPoint(box.left + 4, box.top + box.height / 2);
                return !caption.contains(top);
            })"""
        )
        assert not covered
        shoot(page, f"{label}-compare", docs_name("phone-compare") if label == "phone" else "")
        page.click("#compare-play")
        page.wait_for_function(
            "() => [...document.querySelectorAll('#compare video')].every(v => !v.paused)"
        )
        page.click("#compare-play")
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_readme_screenshots_on_a_laptop_and_a_phone(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    studio,
    scheme,
):
    """The laptop's set (1440×900), light and dark, and the phone's first screens in dark:
    each page's subject on its first screen there too."""
    for viewport, label in ((LAPTOP, "laptop"), (PHONE, "phone")):
        context, page = log_in(browser, live_server, "mia", viewport, scheme)
        for name, url, selectors in pages_for(studio, "member"):
            if name not in README_SHOTS:
                continue
            page.goto(live_server.url + url)
            page.wait_for_load_state("load")
            if label == "laptop" or scheme == "dark":
                shoot(page, f"{label}-{name}-{scheme}", docs_name(f"{label}-{name}-{scheme}"))
            for selector in selectors:
                assert_on_first_screen(page, selector, viewport["height"], f"{label} {name}")
        context.close()
