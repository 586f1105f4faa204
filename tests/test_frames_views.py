"""Use this frame / Continue this shot: from a ready video's page to a New video form that
starts from its frame, and a new video that says which shot it continues.

The videos here show their frame number on every frame (tests/frame_videos.py): 50 frames
at 25 fps, 256×144, so the frame at t seconds shows floor(25 t)."""

import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from generations.models import Generation, Project
from generations.views.frames import FRAME_GONE, NOT_READY, UNREADABLE_MOMENT
from lib import framing
from lib.images import _decode_slots
from lib.video import probe_mp4
from tests.factories_media import png_bytes
from tests.frame_videos import numbered_mp4, read_index
from tests.helpers import StudioTestCase, make_generation, make_user, valid_data

CREATE_URL = reverse("generations:create")


def numbered_video(owner, **fields) -> Generation:
    """A ready video whose frames show their number (2 s, 25 fps, 256×144)."""
    generation = make_generation(owner, **fields)
    data = numbered_mp4(width=256, height=144)
    name = default_storage.save(f"videos/numbered-{generation.pk}.mp4", ContentFile(data))
    generation.task_id = "task_numbered"
    info = probe_mp4(default_storage.path(name))
    generation.mark_saved(video_name=name, size=len(data), info=info, poster_name="")
    generation.save()
    return generation


def use_frame_url(generation) -> str:
    return reverse("generations:use_frame", args=[generation.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


class UseFrameTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.kite = numbered_video(self.alice, prompt="Kite over field, wide shot.")
        self.kite.rename_for(self.alice, "Kite over field")

    def take(self, at: str | None, client=None):
        data = {} if at is None else {"at": at}
        return (client or self.client).post(use_frame_url(self.kite), data)

    def form_after(self, response):
        """Follow use_frame's redirect to the New video form."""
        self.assertEqual(response.status_code, 302)
        location = urlsplit(response["Location"])
        self.assertEqual(location.path, CREATE_URL)
        token = parse_qs(location.query)["frame"][0]
        page = self.client.get(response["Location"])
        self.assertEqual(page.status_code, 200)
        return page, token

    def test_the_ready_videos_page_offers_both_buttons(self):
        page = self.client.get(self.kite.get_absolute_url())
        self.assertContains(page, 'id="continue-shot"')
        self.assertContains(page, 'id="use-frame"')
        self.assertContains(page, f'action="{use_frame_url(self.kite)}"')

    def test_a_running_video_offers_neither_and_refuses_a_post(self):
        running = make_generation(self.alice)
        page = self.client.get(running.get_absolute_url())
        self.assertNotContains(page, 'id="continue-shot"')
        response = self.client.post(use_frame_url(running), {"at": "end"})
        self.assertRedirects(response, running.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(messages_of(response), [NOT_READY])

    def test_continue_this_shot_opens_the_form_with_the_very_last_frame(self):
        page, token = self.form_after(self.take("end"))

        form = page.context["form"]
        self.assertEqual(read_index(Image.open(io.BytesIO(form.original_frame.image))), 49)
        self.assertEqual(form.kept_token, token)
        self.assertContains(
            page, f'name="first_frame_token" id="id_first_frame_token" value="{token}"'
        )
        self.assertContains(page, "The last frame, 256×144")
        note = unescape(re.sub(r"<[^>]+>", "", page.content.decode()))
        self.assertIn("Continues Kite over field from its last frame (0:02.0)", note)
        # The settings of the shot it continues, so the frame fits its format as it is.
        self.assertEqual(form["prompt"].value(), "Kite over field, wide shot.")
        self.assertEqual(form["size"].value(), self.kite.size)
        self.assertEqual(form["model"].value(), self.kite.model)

    def test_the_new_video_records_the_shot_it_continues_and_starts_from_its_frame(self):
        _, token = self.form_after(self.take("end"))

        response = self.client.post(
            CREATE_URL, valid_data(prompt="The kite dives.", first_frame_token=token)
        )

        new = Generation.objects.exclude(pk=self.kite.pk).get()
        self.assertRedirects(response, new.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(new.continues, self.kite)
        self.assertEqual(new.continues_at, 2.0)
        self.assertIsNone(new.made_from)
        with new.first_frame.open("rb") as handle, Image.open(handle) as first:
            self.assertEqual(first.size, (256, 144))
            self.assertEqual(read_index(first), 49)

    def test_use_this_frame_takes_the_frame_at_the_players_position(self):
        _, token = self.form_after(self.take("1.02"))  # frame 25 shows from 1.00 to 1.04

        self.client.post(CREATE_URL, valid_data(first_frame_token=token))

        new = Generation.objects.exclude(pk=self.kite.pk).get()
        self.assertEqual(new.continues_at, 1.02)
        with new.first_frame.open("rb") as handle, Image.open(handle) as first:
            self.assertEqual(read_index(first), 25)

    def test_the_new_videos_page_says_what_it_continues_and_the_source_lists_it(self):
        _, token = self.form_after(self.take("0.5"))
        self.client.post(CREATE_URL, valid_data(prompt="The kite dives.", first_frame_token=token))
        new = Generation.objects.exclude(pk=self.kite.pk).get()

        page = self.client.get(new.get_absolute_url())
        self.assertContains(
            page,
            f'<a href="{self.kite.get_absolute_url()}" id="continues-link"><em>Kite over field</em></a> at 0:00.5',
            html=False,
        )
        source = self.client.get(self.kite.get_absolute_url())
        self.assertContains(source, "Continued by")
        self.assertContains(source, f'href="{new.get_absolute_url()}" class="continuation-link"')
        self.assertContains(source, "from 0:00.5")

    def test_choosing_another_picture_instead_means_it_continues_nothing(self):
        self.form_after(self.take("end"))
        upload = ContentFile(png_bytes(320, 180), name="other.png")

        self.client.post(CREATE_URL, valid_data(first_frame=upload))

        new = Generation.objects.exclude(pk=self.kite.pk).get()
        self.assertIsNone(new.continues)
        self.assertIsNone(new.continues_at)

    def test_a_refused_form_keeps_the_frame_and_where_it_came_from(self):
        _, token = self.form_after(self.take("end"))

        refused = self.client.post(CREATE_URL, valid_data(prompt="", first_frame_token=token))

        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, "Please describe the video you want.")
        self.assertContains(refused, "The last frame, 256×144")
        self.assertContains(refused, 'id="continues-note"')
        self.client.post(CREATE_URL, valid_data(first_frame_token=token))
        self.assertEqual(Generation.objects.exclude(pk=self.kite.pk).get().continues, self.kite)

    def test_the_shape_check_keeps_calling_it_the_videos_frame(self):
        _, token = self.form_after(self.take("0.5"))
        answer = self.client.post(
            reverse("generations:first_frame_preview"),
            {"first_frame_token": token, "size": "720x1280"},
        ).json()
        self.assertTrue(answer["ok"])
        self.assertTrue(answer["differs"])
        self.assertEqual(answer["caption"], "The frame at 0:00.5, 256×144")

    def test_the_form_keeps_the_videos_project(self):
        project = Project.objects.create(name="Spring kites", created_by=self.alice)
        self.kite.move_for(self.alice, project)
        page, _ = self.form_after(self.take("end"))
        self.assertEqual(page.context["form"]["project"].value(), project.pk)

    def test_making_another_like_a_continued_shot_with_its_frame_continues_the_same_shot(self):
        _, token = self.form_after(self.take("end"))
        self.client.post(CREATE_URL, valid_data(prompt="The kite dives.", first_frame_token=token))
        dive = Generation.objects.exclude(pk=self.kite.pk).get()

        again = valid_data(
            prompt="The kite dives, slower.", made_from=dive.pk, keep_first_frame="on"
        )
        self.client.post(CREATE_URL, again)
        remake = Generation.objects.get(made_from=dive)
        self.assertEqual((remake.continues, remake.continues_at), (self.kite, 2.0))

        upload = ContentFile(png_bytes(320, 180), name="other.png")
        other = valid_data(prompt="Something else.", made_from=dive.pk, first_frame=upload)
        self.client.post(CREATE_URL, other)
        self.assertIsNone(Generation.objects.get(prompt="Something else.").continues)

    @override_settings(FIRST_FRAME_DECODE_CONCURRENCY=1, FIRST_FRAME_DECODE_WAIT_SECONDS=0.05)
    def test_a_busy_studio_says_so_instead_of_decoding_more_at_once(self):
        slots = _decode_slots(1)
        slots.acquire()
        try:
            response = self.take("end")
        finally:
            slots.release()
        self.assertRedirects(response, self.kite.get_absolute_url(), fetch_redirect_response=False)
        self.assertIn("The studio is busy", messages_of(response)[-1])

    def test_a_moment_the_player_could_not_give_is_refused_with_a_sentence(self):
        for at in ("abc", "-1", "nan", "inf"):
            response = self.take(at)
            self.assertRedirects(
                response, self.kite.get_absolute_url(), fetch_redirect_response=False
            )
            self.assertEqual(messages_of(response)[-1], UNREADABLE_MOMENT)

    def test_a_moment_past_the_end_says_how_long_the_video_is(self):
        response = self.take("9.5")
        self.assertEqual(
            messages_of(response), ["0:09.5 is outside the video, which lasts 0:02.0."]
        )
        self.assertEqual(Generation.objects.count(), 1)

    def test_a_damaged_video_file_is_said_so_and_nothing_is_kept(self):
        with default_storage.open(self.kite.video.name, "wb") as handle:
            handle.write(b"\x00\x00\x00\x18ftypisom" + bytes(100))
        response = self.take("end")
        self.assertRedirects(response, self.kite.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(
            messages_of(response), ["The video file is damaged and no frame can be read from it."]
        )

    def test_a_missing_video_file_is_said_so(self):
        default_storage.delete(self.kite.video.name)
        response = self.take("end")
        self.assertEqual(messages_of(response), ["The video file is missing."])

    def test_a_get_is_not_allowed(self):
        self.assertEqual(self.client.get(use_frame_url(self.kite)).status_code, 405)

    @override_settings(FIRST_FRAME_MAX_PIXELS=100 * 50)
    def test_the_upload_checks_apply_to_the_frame(self):
        response = self.take("end")
        self.assertRedirects(response, self.kite.get_absolute_url(), fetch_redirect_response=False)
        self.assertIn("too large", messages_of(response)[0])


class WhoMayUseAFrameTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.kite = numbered_video(self.alice, prompt="Alice's secret kite 51c2")

    def test_someone_who_cannot_see_the_video_gets_a_404(self):
        self.client.force_login(self.bob)
        response = self.client.post(use_frame_url(self.kite), {"at": "end"})
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(response, "secret kite", status_code=404)

    def test_a_teammate_continues_a_shared_shot_into_a_video_of_their_own(self):
        self.kite.share_for(self.alice)
        self.client.force_login(self.bob)
        response = self.client.post(use_frame_url(self.kite), {"at": "end"})
        token = parse_qs(urlsplit(response["Location"]).query)["frame"][0]

        self.client.post(CREATE_URL, valid_data(first_frame_token=token))

        new = Generation.objects.get(owner=self.bob)
        self.assertEqual(new.continues, self.kite)

    def test_a_frame_token_is_no_use_to_anyone_else(self):
        response = self.client.post(use_frame_url(self.kite), {"at": "end"})
        token = parse_qs(urlsplit(response["Location"]).query)["frame"][0]
        self.client.force_login(self.bob)

        page = self.client.get(response["Location"])
        self.assertEqual(page.status_code, 200)
        self.assertEqual(messages_of(page), [FRAME_GONE])
        self.assertNotContains(page, "secret kite")
        self.assertNotContains(page, 'id="continues-note"')
        refused = self.client.post(CREATE_URL, valid_data(first_frame_token=token))
        self.assertEqual(refused.status_code, 200)
        self.assertFalse(Generation.objects.filter(owner=self.bob).exists())

    def test_a_video_that_continues_one_the_viewer_cannot_see_does_not_name_it(self):
        self.kite.share_for(self.alice)
        self.client.force_login(self.bob)
        response = self.client.post(use_frame_url(self.kite), {"at": "1.0"})
        token = parse_qs(urlsplit(response["Location"]).query)["frame"][0]
        self.client.post(CREATE_URL, valid_data(first_frame_token=token))
        new = Generation.objects.get(owner=self.bob)
        new.share_for(self.bob)
        self.kite.unshare_for(self.alice)

        carol = make_user("carol")
        self.client.force_login(carol)
        page = self.client.get(new.get_absolute_url())
        self.assertContains(page, "a video not shared with you at 0:01.0")
        self.assertNotContains(page, "secret kite")
        self.assertNotContains(page, str(self.kite.pk))

    def test_a_kept_frame_naming_a_video_the_person_cannot_see_continues_nothing(self):
        # Only the server signs an origin; even so, the video must still be visible at Generate.
        bobs = numbered_video(self.bob, prompt="Bob's private shot")
        frame = framing.first_frame_from_video(default_storage.path(bobs.video.name), None)
        token = framing.keep(frame, self.alice, origin={"video": str(bobs.pk), "at": 2.0})

        self.client.post(CREATE_URL, valid_data(first_frame_token=token))

        new = Generation.objects.exclude(pk=self.kite.pk).get(owner=self.alice)
        self.assertIsNone(new.continues)
        self.assertIsNone(new.continues_at)
