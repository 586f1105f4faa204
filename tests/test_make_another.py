"""Make another like this (the first frame kept on the server) and takes of one prompt."""

from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Generation
from tests.helpers import StudioTestCase, make_ready_generation, with_first_frame

CREATE_URL = reverse("generations:create")


class MakeAnotherTests(StudioTestCase):
    def test_the_picked_settings_show_even_after_a_plain_form_was_kept(self):
        # The radios are kept per set of values: a plain New video page drawn first must not
        # stand in for a form opened with other settings.
        self.assertContains(
            self.client.get(CREATE_URL), 'value="veo3.1-fast" id="id_model_0" required checked'
        )
        source = make_ready_generation(self.alice, model="veo3.1", size="720x1280")
        for _ in range(2):  # drawn, then kept
            response = self.client.get(reverse("generations:make_another", args=[source.pk]))
            self.assertContains(response, 'value="veo3.1" id="id_model_1" required checked')
            self.assertNotContains(response, 'id="id_model_0" required checked')
        answer = self.client.post(CREATE_URL, {"prompt": "", "model": "veo3.1", "seconds": "8"})
        self.assertContains(answer, 'value="veo3.1" id="id_model_1" required checked')

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

        response = self.client.post(CREATE_URL, form)

        made = Generation.objects.exclude(pk=source.pk).get()
        self.assertRedirects(response, made.get_absolute_url(), fetch_redirect_response=False)
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
        group_url = reverse("generations:takes", args=[jobs[-1].pk])
        self.assertRedirects(response, group_url, fetch_redirect_response=False)
        page = self.client.get(group_url)
        for job in jobs:
            self.assertContains(page, f'id="card-{job.pk}"')
        self.assertContains(self.client.get(jobs[1].get_absolute_url()), "Take 2 of 3")

    def test_the_group_page_reads_the_same_queries_for_two_takes_and_for_four(self):
        def queries_for(takes: str) -> int:
            Generation.objects.all().delete()
            self.client.post(CREATE_URL, {**self.form, "takes": takes})
            newest = Generation.objects.order_by("-take_number").first()
            with CaptureQueriesContext(connection) as queries:
                self.client.get(reverse("generations:takes", args=[newest.pk]))
            return len(queries)

        self.assertEqual(queries_for("2"), queries_for("4"))

    def test_the_same_form_sent_twice_makes_the_takes_once(self):
        token = "6f0c3f7e-8d7f-4f0e-9a39-4a1f7c1c0e11"
        for _ in range(2):
            self.client.post(CREATE_URL, {**self.form, "takes": "2", "client_token": token})

        self.assertEqual(Generation.objects.count(), 2)

    def test_more_than_four_takes_is_refused_kindly(self):
        response = self.client.post(CREATE_URL, {**self.form, "takes": "9"})

        self.assertContains(response, "Please pick 1 to 4 takes.")
        self.assertFalse(Generation.objects.exists())
