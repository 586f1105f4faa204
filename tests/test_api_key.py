"""The CometAPI key never leaks: not into logs, job records, user pages, the admin, nor the
client's repr, whichever way a job ends."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from generations import worker
from generations.models import Generation, Status
from tests.helpers import PASSWORD, StudioTestCase, drive, make_generation

INDEX_URL = reverse("generations:index")
CREATE_URL = reverse("generations:create")
SECRET_KEY_VALUE = "sk-very-secret-key-123"


class ApiKeySecrecyTests(StudioTestCase):
    @pytest.fixture(autouse=True)
    def _secret_simulator(self, simulator, caplog):
        """The simulator, with the app holding a secret key; the simulator still wants
        "test-key" until a test says otherwise, so by default the key is rejected (401)."""
        self.sim = simulator
        self.caplog = caplog
        with override_settings(COMETAPI_KEY=SECRET_KEY_VALUE):
            try:
                yield
            finally:
                simulator.api_key = "test-key"

    def run_every_kind_of_job(self) -> dict[str, Generation]:
        sim, owner, jobs = self.sim, self.alice, {}

        sim.api_key = SECRET_KEY_VALUE
        jobs["success"] = drive(make_generation(owner, prompt="success"))

        sim.fail_next("create", 500, times=20)
        jobs["500 exhaustion"] = drive(make_generation(owner, prompt="500 exhaustion"))
        sim.reset()

        sim.html_next("create")
        jobs["html answer"] = drive(make_generation(owner, prompt="html answer"))

        with override_settings(COMETAPI_READ_TIMEOUT=0.3):
            sim.hang_next("create", 1.0)
            jobs["timeout on submit"] = drive(make_generation(owner, prompt="timeout on submit"))
            sim.hang_next("retrieve", 1.0, times=20)
            jobs["timeout on poll"] = drive(make_generation(owner, prompt="timeout on poll"))
            sim.reset()

        sim.api_key = "test-key"  # CometAPI no longer knows our key
        jobs["401"] = drive(make_generation(owner, prompt="401"))
        return jobs

    def test_it_appears_nowhere(self):
        caplog = self.caplog
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="urllib3")

        jobs = self.run_every_kind_of_job()

        # The runs really went the ways they were meant to.
        self.assertEqual(jobs["success"].status, Status.READY)
        self.assertEqual(jobs["500 exhaustion"].status, Status.FAILED)
        self.assertIn("server problems", jobs["500 exhaustion"].failure_reason)
        self.assertEqual(jobs["html answer"].status, Status.FAILED)
        self.assertEqual(jobs["timeout on submit"].status, Status.UNCERTAIN)
        self.assertEqual(jobs["timeout on poll"].status, Status.FAILED)
        self.assertEqual(jobs["401"].status, Status.FAILED)
        self.assertIn("API key was rejected", jobs["401"].failure_reason)
        self.assertTrue(jobs["401"].error_code.startswith("auth:401"), jobs["401"].error_code)
        self.assertTrue(
            any(r.name.startswith("urllib3") for r in caplog.records), "no HTTP was logged"
        )

        with self.subTest("logs"):
            self.assertNotIn(SECRET_KEY_VALUE, caplog.text)
            for record in caplog.records:
                self.assertNotIn(SECRET_KEY_VALUE, record.getMessage())
                self.assertNotIn(SECRET_KEY_VALUE, record.exc_text or "")

        with self.subTest("job records"):
            for generation in Generation.objects.all():
                for field in ("failure_reason", "error_code", "task_id", "video_url", "prompt"):
                    self.assertNotIn(SECRET_KEY_VALUE, getattr(generation, field), field)

        with self.subTest("the 401 job tells the user, without the key"):
            response = self.client.get(jobs["401"].get_absolute_url())
            page = response.content.decode()
            self.assertIn("API key was rejected", page)
            self.assertNotIn(SECRET_KEY_VALUE, page)

        with self.subTest("user pages"):
            urls = [INDEX_URL, CREATE_URL]
            for generation in jobs.values():
                status_url = reverse("generations:status", args=[generation.pk])
                urls += [generation.get_absolute_url(), status_url, status_url + "?view=card"]
            for url in urls:
                headers = {"HX-Request": "true"} if "status" in url else {}
                response = self.client.get(url, headers=headers)
                # Every job here has ended: its status fragment also tells htmx to stop (286).
                self.assertEqual(response.status_code, 286 if "status" in url else 200, url)
                self.assertNotIn(SECRET_KEY_VALUE, response.content.decode(), url)

        with self.subTest("admin"):
            get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
            admin = Client()
            admin.force_login(get_user_model().objects.get(username="root"))
            urls = [
                reverse("admin:generations_generation_changelist"),
                reverse("admin:generations_generation_changelist") + "?q=sk-",
            ]
            urls += [
                reverse("admin:generations_generation_change", args=[g.pk]) for g in jobs.values()
            ]
            for url in urls:
                response = admin.get(url)
                self.assertEqual(response.status_code, 200, url)
                self.assertNotIn(SECRET_KEY_VALUE, response.content.decode(), url)

        with self.subTest("client repr"):
            api = worker.get_client()
            self.assertEqual(api.api_key, SECRET_KEY_VALUE)  # the key is there, just never shown
            self.assertNotIn(SECRET_KEY_VALUE, repr(api))
            self.assertNotIn(SECRET_KEY_VALUE, str(api))
