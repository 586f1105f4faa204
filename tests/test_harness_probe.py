"""harness/probe.py, which the crash and load scripts ask about a stack's database: it
reads through the app's models and code, so a schema change shows up here first."""

import importlib.util
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import override_settings

from generations import worker
from generations.models import ACTIVE_STATUSES, Generation, lease_seconds

from .helpers import StudioTestCase, make_generation, make_ready_generation

_PATH = Path(__file__).resolve().parent.parent / "harness" / "probe.py"
_SPEC = importlib.util.spec_from_file_location("harness_probe", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
probe = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(probe)


def ask(op, **arguments):
    """One question as the harness sends it, the answer as it reads it back."""
    reply = probe.answer({"op": op, **arguments})
    return json.loads(json.dumps(reply, default=probe._jsonable))


class ProbeTests(StudioTestCase):
    def test_jobs_carry_every_field_the_scripts_read(self):
        ready = make_ready_generation(self.alice)
        waiting = make_generation(self.bob)

        rows = {row["id"]: row for row in ask("jobs")["ok"]}

        self.assertEqual(set(rows), {str(ready.pk), str(waiting.pk)})
        row = rows[str(ready.pk)]
        self.assertEqual(set(row), {*probe.JOB_FIELDS, "username"})
        self.assertEqual(row["username"], "alice")
        self.assertEqual(row["status"], "ready")
        self.assertEqual(row["video"], ready.video.name)
        self.assertEqual(row["video_bytes"], ready.video_bytes)
        self.assertEqual(row["created_at"], ready.created_at.isoformat())
        self.assertEqual(rows[str(waiting.pk)]["username"], "bob")

    def test_jobs_can_be_asked_for_by_id(self):
        wanted = make_generation(self.alice)
        make_generation(self.alice)

        rows = ask("jobs", ids=[str(wanted.pk)])["ok"]

        self.assertEqual([row["id"] for row in rows], [str(wanted.pk)])
        self.assertEqual(ask("jobs", ids=[])["ok"], [])

    def test_a_job_s_events_come_oldest_first_with_their_moments(self):
        ready = make_ready_generation(self.alice)
        make_generation(self.bob)

        events = ask("events", job_id=str(ready.pk))["ok"]

        self.assertEqual([e["kind"] for e in events], ["created", "saved"])
        self.assertEqual(events[1]["to_status"], "ready")
        saved = ready.events.get(kind="saved")
        self.assertEqual(events[1]["created_at"], saved.created_at.isoformat())

    @override_settings(
        COMETAPI_CONNECT_TIMEOUT=2.0, COMETAPI_READ_TIMEOUT=3.0, WORKER_STEP_LEASE_SECONDS=5.0
    )
    def test_timings_are_the_worker_s_own_under_the_stack_s_settings(self):
        timings = ask("timings")["ok"]

        expected = {str(status): lease_seconds(status) for status in ACTIVE_STATUSES}
        self.assertEqual(timings["lease_seconds"], expected)
        # The kill script's submit scenario relies on a submit lease longer than a poll's.
        self.assertGreater(expected["waiting"], expected["rendering"])
        self.assertEqual(
            timings["partial_download_max_age"], worker.PARTIAL_DOWNLOAD_MAX_AGE.total_seconds()
        )

    def test_it_creates_users_once_who_can_log_in(self):
        self.assertEqual(ask("create_users", names=["carol", "dave"], password="pw-1")["ok"], 2)
        self.assertEqual(ask("create_users", names=["carol", "dave"], password="pw-1")["ok"], 2)

        carol = get_user_model().objects.get(username="carol")
        self.assertTrue(carol.check_password("pw-1"))

    def test_it_sees_a_worker_s_heartbeat_and_the_queue(self):
        self.assertFalse(ask("heartbeat", name="box:123")["ok"])
        worker.beat("box:123")
        self.assertTrue(ask("heartbeat", name="box:123")["ok"])
        self.assertEqual(ask("queue")["ok"], {"active": 0, "due": 0, "held": 0})
        due, held = make_generation(self.alice), make_generation(self.alice, prompt="Held")
        Generation.objects.claim(held.pk)
        self.assertEqual(ask("queue")["ok"], {"active": 2, "due": 1, "held": 1})
        self.assertEqual(list(Generation.objects.due()), [due])

    def test_a_bad_question_is_answered_with_an_error(self):
        self.assertIn("op must be one of", ask("drop_tables")["error"])
        self.assertIn("ValueError", ask("jobs", ids=["not-a-uuid"])["error"])
        self.assertIn("TypeError", ask("heartbeat")["error"])
