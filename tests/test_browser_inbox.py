"""Comments people act on, in real Chromium with two people: Alice pauses her shared video
at 0:03, draws a circle on the frame, writes "@bob look at 0:03" (picking Bob from the
suggestions), and sends it; Bob, on another page, sees his bell's count go up, opens the
line from his inbox, and lands on the paused frame with Alice's circle over it.
Screenshots at a phone's and a desktop's size (test-results/inbox-*.png)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from generations.models import Comment, Notification
from tests.helpers import make_ready_generation
from tests.test_browser import browser, release_server_connections  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESULTS = Path(__file__).resolve().parent.parent / "test-results"
PASSWORD = "a long studio password"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1440, "height": 900}}


def shoot(page, name: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"inbox-{name}.png"), full_page=False)


def log_in(chromium, live_server, size, username):
    context = chromium.new_context(viewport=SIZES[size], has_touch=size == "phone")
    page = context.new_page()
    # Anything the page's Content-Security-Policy refused in our markup or our scripts. (htmx
    # itself reports one when it settles a swapped form whose inputs Chromium gave a
    # `style` attribute: copying it back is refused, harmlessly, on any page with a form.)
    page.refused = []  # type: ignore[attr-defined]

    def refused(message) -> None:
        if "Content Security Policy" in message.text and "htmx" not in message.location["url"]:
            page.refused.append(f"{message.text} at {message.location}")  # type: ignore[attr-defined]

    page.on("console", refused)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return page


def drag(page, box, start, end, *, finger: bool):
    """A drag across the overlay, in its own 0..1 coordinates: with a finger (real touch
    events, through Chromium's DevTools protocol) on the phone, with the mouse on a desktop."""
    x0, y0 = box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1]
    x1, y1 = box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1]
    path = [(x0 + (x1 - x0) * step / 8, y0 + (y1 - y0) * step / 8) for step in range(9)]
    if finger:
        touch = page.context.new_cdp_session(page)
        for kind, (x, y) in [("touchStart", path[0])] + [("touchMove", p) for p in path[1:]]:
            touch.send(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]}
            )
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        return
    page.mouse.move(*path[0])
    page.mouse.down()
    for point in path[1:]:
        page.mouse.move(*point)
    page.mouse.up()


@pytest.mark.parametrize("size", list(SIZES))
def test_alice_mentions_bob_with_a_circle_and_bob_opens_it_on_the_paused_frame(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD, first_name="Alice", last_name="Moreau")
    users.create_user("bob", password=PASSWORD, first_name="Bob", last_name="Okafor")
    users.create_user("bea", password=PASSWORD, is_active=False)  # gone: never suggested
    video = make_ready_generation(alice, seconds=4.0, prompt="A kite over a wheat field")
    video.share_for(alice)

    bob = log_in(browser, live_server, size, "bob")
    assert bob.locator("#inbox-bell .bell-count").count() == 0

    # Alice pauses at 0:03 and draws a circle on the frame.
    page = log_in(browser, live_server, size, "alice")
    page.goto(live_server.url + video.get_absolute_url())
    player = page.locator("video.player")
    player.evaluate(
        "v => new Promise(done => { const go = () => { v.currentTime = 3; "
        "v.addEventListener('seeked', done, { once: true }); }; "
        "v.readyState >= 1 ? go() : v.addEventListener('loadedmetadata', go, { once: true }); })"
    )
    page.get_by_role("button", name="Draw on the frame").click()
    assert page.locator("#id_at").input_value() == "0:03.0"
    page.get_by_role("toolbar", name="Drawing on the frame").get_by_role(
        "button", name="Circle"
    ).click()
    overlay = page.locator("svg.drawing-overlay")
    box = overlay.bounding_box()
    player_box = player.bounding_box()
    assert box and player_box and box["width"] <= player_box["width"] + 1
    drag(page, box, (0.35, 0.3), (0.65, 0.7), finger=size == "phone")
    assert overlay.locator("ellipse").count() == 1
    shoot(page, f"alice-tools-{size}")
    page.get_by_role("button", name="Done").click()

    # "@bo" offers Bob (and nobody who cannot see the video); Enter picks him.
    body = page.locator("#id_body")
    body.click()
    body.press_sequentially("@bo")
    option = page.get_by_role("option", name=re.compile("Bob Okafor"))
    option.wait_for()
    assert page.get_by_role("option").count() == 1
    shoot(page, f"alice-drawing-{size}")
    body.press("Enter")
    body.press_sequentially("look at 0:03")
    assert body.input_value() == "@bob look at 0:03"
    page.get_by_role("button", name="Comment", exact=True).click()
    page.locator("li.comment[data-drawing]").wait_for()
    comment = Comment.objects.get()
    assert comment.at_seconds == 3.0
    assert [shape["kind"] for shape in comment.drawing] == ["circle"]
    assert Notification.objects.filter(recipient__username="bob", kind="mention").exists()

    # Bob's bell goes up by itself; he opens the line from his inbox.
    bob.locator("#inbox-bell .bell-count").wait_for(timeout=25_000)
    assert bob.locator("#inbox-bell .bell-count").inner_text() == "1"
    shoot(bob, f"bob-bell-{size}")
    bob.locator("#inbox-bell").click()
    bob.get_by_role("heading", name="Inbox").wait_for()
    shoot(bob, f"bob-inbox-{size}")
    bob.get_by_role("link", name=re.compile("Alice Moreau mentioned you")).click()
    bob.wait_for_url(re.compile(r"/videos/.*#t=3\.0&c=\d+$"))

    # The frame at 0:03, paused, with Alice's circle over it.
    bob_overlay = bob.locator("svg.drawing-overlay.visible")
    bob_overlay.locator("ellipse").wait_for()
    bob.wait_for_function(
        "() => { const v = document.querySelector('video.player');"
        " return v.paused && Math.abs(v.currentTime - 3) < 0.05; }"
    )
    assert bob.locator(f"#comment-{comment.pk}.picked").count() == 1
    bob.locator("video.player").scroll_into_view_if_needed()
    shoot(bob, f"bob-moment-{size}")
    assert bob.locator("#inbox-bell .bell-count").count() == 0  # opened: read

    # Bob may not resolve Alice's comment; Alice, the video's maker, does: it folds,
    # still readable.
    assert bob.locator(f"#comment-{comment.pk}").get_by_role("button", name="Resolve").count() == 0
    page.locator(f"#comment-{comment.pk}").get_by_role("button", name="Resolve").click()
    folded = page.locator(f"#comment-{comment.pk}.resolved details")
    folded.wait_for()
    assert "@bob look at 0:03" in folded.locator("summary").inner_text()
    # By its id: the page's poll may have just swapped the list for a fresh one.
    page.evaluate(f"document.getElementById('comment-{comment.pk}').scrollIntoView()")
    shoot(page, f"alice-resolved-{size}")
    assert page.refused == [], page.refused  # type: ignore[attr-defined]
    assert bob.refused == [], bob.refused  # type: ignore[attr-defined]


def portrait_video(owner):
    """A finished portrait (9:16) video: the overlay must sit on its picture, not on the
    black bars a landscape box would leave."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from generations.models import poster_name, video_name
    from lib.video import probe_mp4
    from tests.factories_media import jpeg_bytes, make_mp4
    from tests.helpers import make_generation

    generation = make_generation(owner, size="720x1280", prompt="A portrait kite")
    data = make_mp4(180, 320, 4.0)
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


@pytest.mark.parametrize("size", list(SIZES))
def test_a_drawing_lies_on_a_portrait_picture(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
):
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    video = portrait_video(alice)
    circle = {"kind": "circle", "colour": "yellow", "points": [[0.0, 0.0], [1.0, 1.0]]}
    comment = Comment.objects.create(
        generation=video, author=alice, body="The whole frame", at_seconds=2.0, drawing=[circle]
    )
    page = log_in(browser, live_server, size, "alice")
    page.goto(f"{live_server.url}{video.get_absolute_url()}#t=2.0&c={comment.pk}")
    page.locator("svg.drawing-overlay.visible ellipse").wait_for()
    page.wait_for_function(
        "() => { const v = document.querySelector('video.player');"
        " return v.videoWidth > 0 && v.paused && Math.abs(v.currentTime - 2) < 0.05; }"
    )
    overlay = page.locator("svg.drawing-overlay").bounding_box()
    player = page.locator("video.player").bounding_box()
    assert overlay and player
    assert abs(overlay["width"] / overlay["height"] - 9 / 16) < 0.02
    middle = player["x"] + player["width"] / 2
    assert abs(overlay["x"] + overlay["width"] / 2 - middle) < 2
    assert overlay["height"] <= player["height"] + 1
    page.locator("video.player").scroll_into_view_if_needed()
    shoot(page, f"portrait-{size}")

    # Elsewhere in the video the drawing goes; back at its moment it comes again.
    page.locator("video.player").evaluate("v => { v.currentTime = 0.2; }")
    page.locator("svg.drawing-overlay.visible").wait_for(state="detached")
    page.locator("video.player").evaluate("v => { v.currentTime = 2.0; }")
    page.locator("svg.drawing-overlay.visible ellipse").wait_for()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", list(SIZES))
def test_the_inbox_and_a_discussion_pass_axe(
    live_server,
    release_server_connections,  # noqa: F811
    browser,  # noqa: F811
    size,
    scheme,
):
    """axe-core, as tests/test_accessibility.py runs it on every page, on what this branch
    adds: the bell, the inbox with read and unread lines, a resolved comment with a drawing,
    the @ suggestions open and the drawing tools out."""
    from generations.models import NotificationKind
    from generations.notifications import notify
    from tests.test_accessibility import serious

    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    bob = users.create_user("bob", password=PASSWORD, first_name="Bob")
    video = make_ready_generation(alice, seconds=4.0, prompt="A kite over a wheat field")
    video.share_for(alice)
    circle = {"kind": "circle", "colour": "blue", "points": [[0.2, 0.2], [0.5, 0.6]]}
    done = Comment.objects.create(
        generation=video, author=bob, body="Too dark here", at_seconds=1.0, drawing=[circle]
    )
    done.resolve_for(alice)
    Comment.objects.create(generation=video, author=bob, body="@alice the end is lovely")
    notify([alice], NotificationKind.MENTION, "bob mentioned you", generation=video, actor=bob)
    [read] = notify([alice], NotificationKind.READY, "Your video is ready.", generation=video)
    read.read_at = read.created_at
    read.save()

    context = browser.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    found = {"gallery with the bell": serious(page)}
    page.goto(live_server.url + "/inbox/")
    found["inbox"] = serious(page)
    page.goto(live_server.url + video.get_absolute_url())
    found["a discussion"] = serious(page)
    page.locator("#id_body").press_sequentially("@b")
    page.get_by_role("option").first.wait_for()
    found["suggestions open"] = serious(page)
    page.get_by_role("button", name="Draw on the frame").click()
    found["drawing tools"] = serious(page)
    assert found == {name: [] for name in found}
