"""The health endpoints: a verdict for anyone, details for staff and the ops token, and a
storage probe that a fast anonymous poller cannot turn into a stream of disk writes."""

from datetime import timedelta
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.files.storage import default_storage
from django.test import override_settings
from django.utils import timezone

from generations import health, worker
from generations.models import Generation, WorkerHeartbeat
from tests.helpers import StudioTestCase, make_generation, make_user

TOKEN = "ops-token-0b1c2d3e4f"
DETAILS = {"database", "storage", "worker_seconds_since_heartbeat", "oldest_overdue_job_seconds"}


class HealthzTests(StudioTestCase):
    logged_in = False  # load balancers never log in

    def test_it_answers_ok_without_login(self):
        response = self.client.get("/healthz")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok")


@override_settings(READYZ_TOKEN=TOKEN)
class ReadyzTests(StudioTestCase):
    logged_in = False  # load balancers never log in

    def setUp(self):
        super().setUp()
        health.forget_storage_probe()

    def ready(self, **headers):
        return self.client.get("/readyz", headers=headers)

    def with_token(self):
        return self.ready(Authorization=f"Bearer {TOKEN}")

    def test_it_is_503_without_a_worker_heartbeat(self):
        response = self.with_token()

        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertIs(body["ok"], False)
        self.assertEqual(body["database"], "ok")
        self.assertEqual(body["storage"], "ok")
        self.assertIsNone(body["worker_seconds_since_heartbeat"])

    def test_it_is_200_after_a_worker_beat(self):
        worker.beat()

        response = self.with_token()

        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertIs(body["ok"], True)
        self.assertLess(body["worker_seconds_since_heartbeat"], 60)
        self.assertEqual(body["oldest_overdue_job_seconds"], 0)

    def test_it_is_503_when_the_last_beat_is_stale(self):
        WorkerHeartbeat.objects.create(name="old", seen_at=timezone.now() - timedelta(minutes=5))

        response = self.with_token()

        self.assertEqual(response.status_code, 503)
        self.assertGreater(response.json()["worker_seconds_since_heartbeat"], 120)

    def test_it_is_503_when_a_job_is_long_overdue(self):
        worker.beat()
        generation = make_generation(self.alice)
        Generation.objects.filter(pk=generation.pk).update(
            next_action_at=timezone.now() - timedelta(minutes=10)
        )

        response = self.with_token()

        self.assertEqual(response.status_code, 503)
        self.assertGreater(response.json()["oldest_overdue_job_seconds"], 300)

    def test_it_leaves_no_probe_file_behind(self):
        worker.beat()
        folder = Path(settings.MEDIA_ROOT) / "health"
        before = set(folder.iterdir()) if folder.is_dir() else set()

        self.ready()

        after = set(folder.iterdir()) if folder.is_dir() else set()
        self.assertEqual(after, before)

    def test_an_anonymous_caller_gets_the_verdict_and_nothing_else(self):
        worker.beat()

        for response in (self.ready(), self.ready(Authorization="Bearer wrong-token")):
            with self.subTest(response=response):
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json(), {"ok": True})

        WorkerHeartbeat.objects.all().delete()
        response = self.ready()
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), {"ok": False})

    def test_the_token_and_a_staff_login_both_see_the_details(self):
        worker.beat()
        self.assertEqual(set(self.with_token().json()) - {"ok"}, DETAILS)

        self.client.force_login(self.alice)  # not staff
        self.assertEqual(self.ready().json(), {"ok": True})

        admin = make_user("ops", is_staff=True)
        self.client.force_login(admin)
        self.assertEqual(set(self.ready().json()) - {"ok"}, DETAILS)

    @override_settings(READYZ_TOKEN="")
    def test_with_no_token_configured_an_empty_bearer_sees_nothing(self):
        self.assertEqual(set(self.ready(Authorization="Bearer ").json()), {"ok"})

    def test_a_hundred_anonymous_calls_write_to_storage_once(self):
        with mock.patch.object(default_storage, "save", wraps=default_storage.save) as save:
            for _ in range(100):
                self.ready()

        self.assertEqual(save.call_count, 1)

    @override_settings(READYZ_STORAGE_PROBE_SECONDS=0)
    def test_with_the_cache_off_every_call_probes(self):
        with mock.patch.object(default_storage, "save", wraps=default_storage.save) as save:
            for _ in range(3):
                self.ready()

        self.assertEqual(save.call_count, 3)

    def test_a_broken_disk_is_reported_and_remembered_for_the_probe_interval(self):
        with mock.patch.object(default_storage, "save", side_effect=OSError("read-only")):
            first = self.with_token()
        second = self.with_token()  # the disk is back, but the cached verdict stands

        self.assertEqual(first.json()["storage"], "not writable")
        self.assertEqual(second.json()["storage"], "not writable")
        health.forget_storage_probe()
        self.assertEqual(self.with_token().json()["storage"], "ok")

    def test_health_answers_are_never_cached(self):
        for url in ("/healthz", "/readyz"):
            with self.subTest(url):
                self.assertIn("no-store", self.client.get(url)["Cache-Control"])
