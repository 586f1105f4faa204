"""The pages around a job: gallery, detail, the actions on an ended job, and health checks."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from generations import worker
from generations.models import (
    Generation,
    Status,
    WorkerHeartbeat,
    first_frame_name,
    thumbnail_name,
)
from tests.factories_media import jpeg_bytes
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")
LOGIN_URL = reverse("login")


def stored_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


class LoginRequiredTests(StudioTestCase):
    def test_anonymous_visitors_are_sent_to_the_login_page(self):
        self.client.logout()
        generation = make_generation(self.alice)
        for url in (INDEX_URL, CREATE_URL, generation.get_absolute_url()):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertRedirects(
                    response, f"{LOGIN_URL}?next={url}", fetch_redirect_response=False
                )

    def test_the_login_page_itself_is_open(self):
        self.client.logout()

        response = self.client.get(LOGIN_URL)

        self.assertEqual(response.status_code, 200)

    def test_an_anonymous_post_to_create_makes_nothing(self):
        self.client.logout()

        response = self.client.post(
            CREATE_URL,
            {
                "prompt": "A kite",
                "model": "veo3.1-fast",
                "seconds": "4",
                "size": "1280x720",
            },
        )

        self.assertRedirects(
            response, f"{LOGIN_URL}?next={CREATE_URL}", fetch_redirect_response=False
        )
        self.assertFalse(Generation.objects.exists())


class GalleryTests(StudioTestCase):
    def test_it_shows_only_my_jobs(self):
        mine = make_generation(self.alice, prompt="Alice's lighthouse at dusk")
        make_generation(self.bob, prompt="Bob's secret submarine")

        response = self.client.get(INDEX_URL)

        self.assertContains(response, "lighthouse at dusk")
        self.assertContains(response, f'id="card-{mine.pk}"')
        self.assertNotContains(response, "secret submarine")
        self.assertEqual(list(response.context["page"].object_list), [mine])

    def test_it_lists_25_jobs_newest_first_24_to_a_page(self):
        start = timezone.now() - timedelta(hours=1)
        jobs = [
            make_generation(
                self.alice,
                prompt=f"Shot number {n:02d}",
                created_at=start + timedelta(minutes=n),
            )
            for n in range(25)
        ]

        first = self.client.get(INDEX_URL)
        second = self.client.get(INDEX_URL, {"page": 2})

        newest_first = list(reversed(jobs))
        self.assertEqual(list(first.context["page"].object_list), newest_first[:24])
        self.assertEqual(list(second.context["page"].object_list), newest_first[24:])
        html = first.content.decode()
        self.assertLess(html.index("Shot number 24"), html.index("Shot number 23"))
        self.assertNotIn("Shot number 00", html)
        self.assertContains(first, "Page 1 of 2")
        self.assertContains(first, 'href="?page=2"')
        self.assertContains(second, "Shot number 00")
        self.assertContains(second, "Page 2 of 2")

    def test_a_page_number_out_of_range_shows_the_last_page(self):
        make_generation(self.alice, prompt="Only shot")

        response = self.client.get(INDEX_URL, {"page": "99"})

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Only shot")

    def test_an_empty_gallery_invites_a_first_video(self):
        response = self.client.get(INDEX_URL)

        self.assertContains(response, "No videos yet")
        self.assertContains(response, f'href="{CREATE_URL}"')

    def test_active_cards_poll_and_ended_cards_do_not(self):
        active = make_generation(self.alice, prompt="Still rendering")
        ready = make_ready_generation(self.alice, prompt="All done")

        html = self.client.get(INDEX_URL).content.decode()

        card = html[html.index(f'id="card-{active.pk}"') :]
        self.assertIn('hx-trigger="every 3s"', card[: card.index(">")])
        card = html[html.index(f'id="card-{ready.pk}"') :]
        self.assertNotIn("hx-trigger", card[: card.index(">")])
        self.assertIn(reverse("generations:poster", args=[ready.pk]), html)


class DetailTests(StudioTestCase):
    def test_a_ready_job_shows_the_player_with_video_and_poster(self):
        generation = make_ready_generation(self.alice)

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "<video")
        self.assertContains(response, f'src="{reverse("generations:video", args=[generation.pk])}"')
        self.assertContains(
            response, f'poster="{reverse("generations:poster", args=[generation.pk])}"'
        )
        self.assertContains(response, reverse("generations:download", args=[generation.pk]))
        self.assertContains(response, "320×180")
        self.assertNotContains(response, "hx-trigger")

    def test_an_active_job_shows_its_progress_and_polls(self):
        generation = make_generation(self.alice)
        generation.mark_submitted("task_1")
        generation.mark_progress(40, started=True)
        generation.save()

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "Veo is rendering your video…")
        self.assertContains(response, 'value="40"')
        self.assertContains(response, 'hx-trigger="every 3s"')
        self.assertNotContains(response, "<video")
        self.assertNotContains(response, "Delete this video")

    def test_a_failed_job_shows_its_reason(self):
        generation = make_generation(self.alice)
        generation.mark_failed("Veo could not make this video: the prompt was blocked.", "task:x")
        generation.save()

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "Veo could not make this video: the prompt was blocked.")
        self.assertContains(response, "Try again (a new paid job)")
        self.assertNotContains(response, "Check again")
        self.assertNotContains(response, "<video")

    def test_a_first_frame_is_shown_as_a_thumbnail(self):
        generation = make_generation(self.alice)
        generation.first_frame_thumbnail.name = default_storage.save(
            thumbnail_name(), ContentFile(jpeg_bytes(96, 64))
        )
        generation.save()

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(
            response,
            f'src="{reverse("generations:first_frame", args=[generation.pk])}"',
        )


class CheckAgainTests(StudioTestCase):
    def timed_out(self, **fields) -> Generation:
        generation = make_generation(self.alice, **fields)
        generation.mark_timed_out()
        generation.save()
        return generation

    def test_a_timed_out_job_offers_check_again(self):
        generation = self.timed_out(task_id="task_slow")

        response = self.client.get(generation.get_absolute_url())

        self.assertContains(response, "Timed out after")
        self.assertContains(
            response,
            f'action="{reverse("generations:check_again", args=[generation.pk])}"',
        )
        self.assertContains(response, "Check again</button>")

    def test_check_again_puts_the_job_back_to_rendering_and_enqueues_it(self):
        generation = self.timed_out(task_id="task_slow")

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("generations:check_again", args=[generation.pk]))

        self.assertRedirects(response, generation.get_absolute_url())
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.RENDERING)
        self.assertEqual(generation.failure_reason, "")
        self.assertGreater(generation.deadline, timezone.now())
        task = DBTaskResult.objects.get()
        self.assertEqual(task.args_kwargs["args"], [str(generation.pk)])

    def test_check_again_without_a_task_id_goes_back_to_waiting(self):
        generation = self.timed_out()

        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("generations:check_again", args=[generation.pk]))

        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.WAITING)
        self.assertEqual(DBTaskResult.objects.count(), 1)

    def test_check_again_on_a_ready_job_changes_nothing(self):
        generation = make_ready_generation(self.alice)

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("generations:check_again", args=[generation.pk]), follow=True
            )

        self.assertContains(response, "This video is not waiting for a check.")
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.READY)
        self.assertEqual(DBTaskResult.objects.count(), 0)

    def test_check_again_refuses_get(self):
        generation = self.timed_out(task_id="task_slow")

        response = self.client.get(reverse("generations:check_again", args=[generation.pk]))

        self.assertEqual(response.status_code, 405)
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.TIMED_OUT)


class SubmitAgainTests(StudioTestCase):
    def test_an_uncertain_job_offers_send_again_anyway_which_resets_it(self):
        generation = make_generation(self.alice, task_id="maybe")
        generation.submit_started_at = timezone.now()
        generation.mark_uncertain("read_timeout")
        generation.save()
        page = self.client.get(generation.get_absolute_url())
        self.assertContains(page, "Submission uncertain")
        self.assertContains(page, "Send again anyway")

        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("generations:submit_again", args=[generation.pk]), follow=True
            )

        self.assertRedirects(response, generation.get_absolute_url())
        self.assertContains(response, "Sent again. This starts a new paid job at CometAPI.")
        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.WAITING)
        self.assertEqual(generation.task_id, "")
        self.assertIsNone(generation.submit_started_at)
        self.assertEqual(generation.failure_reason, "")
        self.assertEqual(DBTaskResult.objects.count(), 1)

    def test_send_again_on_an_active_job_changes_nothing(self):
        generation = make_generation(self.alice)
        generation.mark_submitted("task_live")
        generation.save()

        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("generations:submit_again", args=[generation.pk]))

        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.SUBMITTED)
        self.assertEqual(generation.task_id, "task_live")
        self.assertEqual(DBTaskResult.objects.count(), 0)


class DeleteTests(StudioTestCase):
    def test_delete_moves_to_the_trash_and_delete_forever_removes_the_row_and_every_file(self):
        generation = make_ready_generation(self.alice)
        generation.first_frame.name = default_storage.save(
            first_frame_name(), ContentFile(jpeg_bytes(96, 64))
        )
        generation.first_frame_thumbnail.name = default_storage.save(
            thumbnail_name(), ContentFile(jpeg_bytes(48, 32))
        )
        generation.save()
        paths = [stored_path(f.name) for f in generation.stored_files()]
        self.assertEqual(len(paths), 4)
        self.assertTrue(all(path.is_file() for path in paths))

        response = self.client.post(
            reverse("generations:delete", args=[generation.pk]), follow=True
        )

        self.assertRedirects(response, INDEX_URL)
        self.assertContains(response, "Moved to the Trash.")
        self.assertTrue(all(path.is_file() for path in paths))
        forever = reverse("generations:delete_forever", args=[generation.pk])
        self.assertContains(self.client.get(forever), "Delete forever?")

        response = self.client.post(forever, follow=True)

        self.assertRedirects(response, reverse("generations:trash"))
        self.assertContains(response, "Deleted for good")
        self.assertFalse(Generation.objects.filter(pk=generation.pk).exists())
        for path in paths:
            self.assertFalse(path.exists(), path)

    def test_delete_of_an_active_job_is_refused_with_a_message(self):
        generation = make_generation(self.alice)
        generation.mark_submitted("task_live")
        generation.save()

        response = self.client.post(
            reverse("generations:delete", args=[generation.pk]), follow=True
        )

        self.assertRedirects(response, generation.get_absolute_url())
        self.assertContains(response, "This video is still being made")
        self.assertTrue(Generation.objects.filter(pk=generation.pk).exists())

    def test_delete_refuses_get(self):
        generation = make_ready_generation(self.alice)

        response = self.client.get(reverse("generations:delete", args=[generation.pk]))

        self.assertEqual(response.status_code, 405)
        self.assertTrue(Generation.objects.filter(pk=generation.pk).exists())
        self.assertTrue(stored_path(generation.video.name).is_file())


class HealthTests(StudioTestCase):
    def setUp(self):
        pass  # health checks are for load balancers: nobody is logged in

    def test_healthz_answers_ok_without_login(self):
        response = self.client.get("/healthz")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok")

    def test_readyz_is_503_without_a_worker_heartbeat(self):
        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertIs(body["ok"], False)
        self.assertEqual(body["database"], "ok")
        self.assertEqual(body["storage"], "ok")
        self.assertIsNone(body["worker_seconds_since_heartbeat"])

    def test_readyz_is_200_after_a_worker_beat(self):
        worker.beat()

        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertIs(body["ok"], True)
        self.assertLess(body["worker_seconds_since_heartbeat"], 60)
        self.assertEqual(body["oldest_overdue_job_seconds"], 0)

    def test_readyz_is_503_when_the_last_beat_is_stale(self):
        WorkerHeartbeat.objects.create(name="old", seen_at=timezone.now() - timedelta(minutes=5))

        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        self.assertGreater(response.json()["worker_seconds_since_heartbeat"], 120)

    def test_readyz_is_503_when_a_job_is_long_overdue(self):
        worker.beat()
        generation = make_generation(self.alice)
        Generation.objects.filter(pk=generation.pk).update(
            next_action_at=timezone.now() - timedelta(minutes=10)
        )

        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        self.assertGreater(response.json()["oldest_overdue_job_seconds"], 300)

    def test_readyz_leaves_no_probe_file_behind(self):
        worker.beat()
        health = Path(settings.MEDIA_ROOT) / "health"
        before = set(health.iterdir()) if health.is_dir() else set()

        self.client.get("/readyz")

        after = set(health.iterdir()) if health.is_dir() else set()
        self.assertEqual(after, before)


class DemoBannerTests(StudioTestCase):
    BANNER = "Demo mode — videos are simulated"

    @override_settings(DEMO_MODE=True)
    def test_the_banner_shows_in_demo_mode(self):
        for url in (INDEX_URL, CREATE_URL):
            with self.subTest(url):
                self.assertContains(self.client.get(url), self.BANNER)

    @override_settings(DEMO_MODE=False)
    def test_the_banner_is_absent_with_a_real_key(self):
        for url in (INDEX_URL, CREATE_URL):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, self.BANNER)
                self.assertNotContains(response, "demo-banner")
