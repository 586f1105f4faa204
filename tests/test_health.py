"""Health checks for load balancers: /healthz says the process is up, /readyz that the
database, the storage and a worker are there and no job is long overdue."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from generations import worker
from generations.models import Generation, WorkerHeartbeat
from tests.helpers import StudioTestCase, make_generation


class HealthzTests(StudioTestCase):
    logged_in = False  # load balancers never log in

    def test_it_answers_ok_without_login(self):
        response = self.client.get("/healthz")

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok")


class ReadyzTests(StudioTestCase):
    logged_in = False  # load balancers never log in

    def test_it_is_503_without_a_worker_heartbeat(self):
        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertIs(body["ok"], False)
        self.assertEqual(body["database"], "ok")
        self.assertEqual(body["storage"], "ok")
        self.assertIsNone(body["worker_seconds_since_heartbeat"])

    def test_it_is_200_after_a_worker_beat(self):
        worker.beat()

        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertIs(body["ok"], True)
        self.assertLess(body["worker_seconds_since_heartbeat"], 60)
        self.assertEqual(body["oldest_overdue_job_seconds"], 0)

    def test_it_is_503_when_the_last_beat_is_stale(self):
        WorkerHeartbeat.objects.create(name="old", seen_at=timezone.now() - timedelta(minutes=5))

        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        self.assertGreater(response.json()["worker_seconds_since_heartbeat"], 120)

    def test_it_is_503_when_a_job_is_long_overdue(self):
        worker.beat()
        generation = make_generation(self.alice)
        Generation.objects.filter(pk=generation.pk).update(
            next_action_at=timezone.now() - timedelta(minutes=10)
        )

        response = self.client.get("/readyz")

        self.assertEqual(response.status_code, 503)
        self.assertGreater(response.json()["oldest_overdue_job_seconds"], 300)

    def test_it_leaves_no_probe_file_behind(self):
        worker.beat()
        health = Path(settings.MEDIA_ROOT) / "health"
        before = set(health.iterdir()) if health.is_dir() else set()

        self.client.get("/readyz")

        after = set(health.iterdir()) if health.is_dir() else set()
        self.assertEqual(after, before)
