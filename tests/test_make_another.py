"""Make another like this (the first frame kept on the server) and takes of one prompt."""

import io
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.models import Generation, first_frame_name, thumbnail_name
from tests.factories_media import jpeg_bytes
from tests.helpers import StudioTestCase, make_ready_generation

CREATE_URL = reverse("generations:create")


def with_first_frame(generation: Generation) -> Generation:
    generation.first_frame.name = default_storage.save(
        first_frame_name(), ContentFile(jpeg_bytes(128, 72))
    )
    generation.first_frame_thumbnail.name = default_storage.save(
        thumbnail_name(), ContentFile(jpeg_bytes(64, 36))
    )
    generation.first_frame_sha256 = "a" * 64
    generation.save()
    return generation


class MakeAnotherTests(StudioTestCase):
    def test_the_form_opens_filled_with_the_settings_and_the_first_frame(self):
        source = with_first_frame(
            make_ready_generation(
                self.alice, prompt="Kite at dawn", model="veo3.1", size="720x1280"
            )
        )

        response = self.client.get(reverse("generations:make_another", args=[source.pk]))

        self.assertContains(response, "Kite at dawn</textarea>")
        self.assertContains(response, 'value="veo3.1" id="id_model_1" required checked')
        self.assertContains(response, 'value="720x1280" id="id_size_1" required checked')
        self.assertContains(response, reverse("generations:first_frame", args=[source.pk]))
        self.assertContains(response, 'name="keep_first_frame"')
        self.assertContains(response, f'name="made_from" value="{source.pk}"')
        self.assertContains(response, f'action="{CREATE_URL}"')

    def test_the_new_job_keeps_its_own_copy_of_the_first_frame_and_links_back(self):
        source = with_first_frame(make_ready_generation(self.alice, prompt="Kite at dawn"))
        form = {
            "prompt": "Kite at dawn, closer",
            "model": "veo3.1-fast",
            "seconds": "4",
            "size": "1280x720",
            "made_from": str(source.pk),
            "keep_first_frame": "on",
        }

        response = self.client.post(CREATE_URL, form)

        made = Generation.objects.exclude(pk=source.pk).get()
        self.assertRedirects(response, made.get_absolute_url(), fetch_redirect_response=False)
        self.assertEqual(made.made_from, source)
        self.assertTrue(made.first_frame)
        self.assertNotEqual(made.first_frame.name, source.first_frame.name)
        self.assertEqual(
            (Path(settings.MEDIA_ROOT) / made.first_frame.name).read_bytes(),
            (Path(settings.MEDIA_ROOT) / source.first_frame.name).read_bytes(),
        )
        self.assertContains(self.client.get(made.get_absolute_url()), source.get_absolute_url())
        self.assertContains(self.client.get(source.get_absolute_url()), made.get_absolute_url())

    def test_removing_the_kept_first_frame_starts_without_one(self):
        source = with_first_frame(make_ready_generation(self.alice))
        form = {
            "prompt": "Plain",
            "model": "veo3.1-fast",
            "seconds": "4",
            "size": "1280x720",
            "made_from": str(source.pk),
        }

        self.client.post(CREATE_URL, form)

        made = Generation.objects.exclude(pk=source.pk).get()
        self.assertFalse(made.first_frame)

    def test_someone_else_s_video_cannot_be_a_source(self):
        theirs = with_first_frame(make_ready_generation(self.bob))

        response = self.client.get(reverse("generations:make_another", args=[theirs.pk]))
        self.assertEqual(response.status_code, 404)
        self.client.post(
            CREATE_URL,
            {
                "prompt": "Sneaky",
                "model": "veo3.1-fast",
                "seconds": "4",
                "size": "1280x720",
                "made_from": str(theirs.pk),
                "keep_first_frame": "on",
            },
        )
        made = Generation.objects.get(prompt="Sneaky")
        self.assertIsNone(made.made_from)
        self.assertFalse(made.first_frame)


class TakesTests(StudioTestCase):
    form = {"prompt": "Four kites", "model": "veo3.1-fast", "seconds": "4", "size": "1280x720"}

    def test_three_takes_make_three_jobs_grouped_on_one_page(self):
        response = self.client.post(CREATE_URL, {**self.form, "takes": "3"})

        jobs = list(Generation.objects.order_by("take_number"))
        self.assertEqual([job.take_number for job in jobs], [1, 2, 3])
        self.assertEqual(len({job.take_group for job in jobs}), 1)
        self.assertEqual(len({job.client_token for job in jobs}), 3)
        group_url = reverse("generations:takes", args=[jobs[0].pk])
        self.assertRedirects(response, group_url, fetch_redirect_response=False)
        page = self.client.get(group_url)
        for job in jobs:
            self.assertContains(page, f'id="card-{job.pk}"')
        self.assertContains(self.client.get(jobs[1].get_absolute_url()), "Take 2 of 3")

    def test_the_same_form_sent_twice_makes_the_takes_once(self):
        token = "6f0c3f7e-8d7f-4f0e-9a39-4a1f7c1c0e11"
        for _ in range(2):
            self.client.post(CREATE_URL, {**self.form, "takes": "2", "client_token": token})

        self.assertEqual(Generation.objects.count(), 2)

    def test_more_than_four_takes_is_refused_kindly(self):
        response = self.client.post(CREATE_URL, {**self.form, "takes": "9"})

        self.assertContains(response, "Please pick 1 to 4 takes.")
        self.assertFalse(Generation.objects.exists())


class CompareTests(StudioTestCase):
    def test_two_to_four_videos_side_by_side_with_one_control(self):
        videos = [make_ready_generation(self.alice, prompt=f"Take {n}") for n in range(3)]

        response = self.client.get(reverse("generations:compare"), {"ids": [v.pk for v in videos]})

        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertEqual(html.count('class="compare-player'), 3)
        self.assertIn('id="compare-play"', html)
        self.assertIn('data-tolerance="0.1"', html)
        self.assertEqual(html.count('class="star-form"'), 3)

    def test_fewer_than_two_of_mine_goes_back_with_a_hint(self):
        mine = make_ready_generation(self.alice)
        theirs = make_ready_generation(self.bob)

        response = self.client.get(
            reverse("generations:compare"), {"ids": [mine.pk, theirs.pk]}, follow=True
        )

        self.assertContains(response, "Pick 2 to 4 ready videos")
        self.assertNotContains(response, str(theirs.pk))


class ZipTests(StudioTestCase):
    def test_the_zip_streams_with_its_exact_size_and_readable_names(self):
        a = make_ready_generation(self.alice, prompt="Same words")
        b = make_ready_generation(self.alice, prompt="Same words")
        running = make_ready_generation(self.alice, prompt="Other")
        Generation.objects.filter(pk=running.pk).update(status="rendering")
        theirs = make_ready_generation(self.bob, prompt="Bob's")

        response = self.client.get(
            reverse("generations:zip"), {"ids": [a.pk, b.pk, running.pk, theirs.pk, "nonsense"]}
        )

        self.assertTrue(response.streaming)
        data = b"".join(response.streaming_content)
        self.assertEqual(int(response["Content-Length"]), len(data))
        self.assertEqual(response["Content-Type"], "application/zip")
        archive = zipfile.ZipFile(io.BytesIO(data))
        self.assertIsNone(archive.testzip())
        names = sorted(archive.namelist())
        base = a.download_name[: -len(".mp4")]
        self.assertEqual(names, [f"{base}-2.mp4", f"{base}.mp4"])
        stored = {(Path(settings.MEDIA_ROOT) / v.video.name).read_bytes() for v in (a, b)}
        self.assertEqual({archive.read(name) for name in names}, stored)

    def test_nothing_ready_goes_back_with_a_hint(self):
        response = self.client.get(reverse("generations:zip"), follow=True)

        self.assertContains(response, "Pick at least one ready video")
