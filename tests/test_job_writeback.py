"""A worker step writes back what it changed, and nothing a person owns."""

from django.db.models.fields.files import FieldFile

from generations.models import Generation, Status
from lib.video import VideoInfo
from tests.helpers import StudioTestCase, make_generation

# Every state change a worker step can make, as (method, arguments, status it starts from).
WORKER_TRANSITIONS = {
    "mark_submitted": (("task_1",), {}, Status.WAITING),
    "mark_progress": ((40,), {"started": True}, Status.SUBMITTED),
    "mark_rendered": (("https://cdn.example/v.mp4",), {}, Status.RENDERING),
    "mark_saved": (
        (),
        {
            "video_name": "videos/v.mp4",
            "size": 1234,
            "info": VideoInfo(duration=4.0, width=1280, height=720, codec="h264"),
            "poster_name": "posters/p.jpg",
        },
        Status.SAVING,
    ),
    "mark_failed": (
        ("Veo could not make this video: blocked.", "task:failed:x"),
        {},
        Status.RENDERING,
    ),
    "mark_timed_out": ((), {}, Status.RENDERING),
    "mark_uncertain": (("read_timeout",), {}, Status.WAITING),
}


def state_of(generation: Generation) -> dict:
    values = {}
    for name in Generation.state_fields():
        value = getattr(generation, name)
        values[name] = value.name if isinstance(value, FieldFile) else value
    return values


class WriteBackTests(StudioTestCase):
    def claimed(self, status: str) -> Generation:
        generation = make_generation(self.alice)
        Generation.objects.filter(pk=generation.pk).update(status=status, task_id="task_1")
        claimed = Generation.objects.claim(generation.pk)
        assert claimed is not None
        return claimed

    def test_every_mark_method_is_checked_here(self):
        methods = {name for name in dir(Generation) if name.startswith("mark_")}
        self.assertEqual(methods, set(WORKER_TRANSITIONS))

    def test_every_mark_method_s_changes_survive_the_write_back(self):
        for name, (args, kwargs, status) in WORKER_TRANSITIONS.items():
            with self.subTest(name):
                generation = self.claimed(status)
                getattr(generation, name)(*args, **kwargs)
                expected = state_of(generation)

                self.assertTrue(generation.release())

                generation.refresh_from_db()
                self.assertEqual(state_of(generation), expected)
                self.assertIsNone(generation.lease)

    def test_a_retry_and_the_submit_marker_survive_the_write_back(self):
        generation = self.claimed(Status.WAITING)
        generation.note_submit_started()
        generation.retry_later(12.0, "CometAPI was busy.")
        expected = state_of(generation)

        generation.release()

        generation.refresh_from_db()
        self.assertEqual(state_of(generation), expected)
        self.assertEqual(generation.attempts, 1)

    def test_the_write_back_covers_every_field_but_the_person_s_and_the_lease(self):
        every = {field.name for field in Generation._meta.concrete_fields}
        self.assertEqual(
            set(Generation.state_fields()),
            every - Generation.PERSON_FIELDS - {"lease", "updated_at"},
        )

    def test_a_person_s_change_racing_a_worker_step_is_never_overwritten(self):
        generation = self.claimed(Status.RENDERING)
        generation.mark_progress(60, started=True)
        # While the step runs, the person's fields change underneath it.
        person_values = {
            "prompt": "A new prompt written meanwhile.",
            "first_frame_sha256": "f" * 64,
        }
        Generation.objects.filter(pk=generation.pk).update(**person_values)

        generation.release()

        generation.refresh_from_db()
        for name, value in person_values.items():
            self.assertEqual(getattr(generation, name), value)
        self.assertEqual(generation.progress, 60)

    def test_sharing_or_unsharing_while_a_step_runs_survives_the_step(self):
        self.assertIn("shared_at", Generation.PERSON_FIELDS)
        generation = self.claimed(Status.RENDERING)
        generation.mark_progress(70, started=True)
        Generation.objects.get(pk=generation.pk).share_for(self.alice)

        generation.release()

        generation.refresh_from_db()
        self.assertTrue(generation.is_shared)
        self.assertEqual(generation.progress, 70)

        shared = self.claimed(Status.RENDERING)
        Generation.objects.get(pk=shared.pk).share_for(self.alice)
        shared = Generation.objects.get(pk=shared.pk)  # the step read the row shared
        shared.mark_progress(80, started=True)
        Generation.objects.get(pk=shared.pk).unshare_for(self.alice)

        self.assertTrue(shared.release())

        shared.refresh_from_db()
        self.assertFalse(shared.is_shared)

    def test_a_step_whose_lease_was_taken_over_writes_nothing(self):
        generation = self.claimed(Status.RENDERING)
        Generation.objects.filter(pk=generation.pk).update(lease=None)
        generation.mark_failed("late", "x")

        self.assertFalse(generation.release())

        generation.refresh_from_db()
        self.assertEqual(generation.status, Status.RENDERING)
        self.assertFalse(generation.events.filter(kind="failed").exists())

    def test_a_job_deleted_while_its_step_ran_is_not_brought_back(self):
        generation = self.claimed(Status.RENDERING)
        Generation.objects.filter(pk=generation.pk).delete()
        generation.mark_progress(80, started=True)

        self.assertFalse(generation.release())
        self.assertFalse(Generation.objects.filter(pk=generation.pk).exists())
