"""Generating a sequence's planned shots: the whole plan is priced and reserved as one
against every cap (refused as a whole, nothing sent); a shot that continues another waits
for that video, its cost held from the start, then starts from its last frame."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image

from billing import ledger
from billing.models import EntryKind, LedgerEntry, Member
from generations.models import Generation, Status
from sequences import jobs
from sequences.models import Sequence, Shot, ShotState

from .helpers import StudioTestCase, drive, make_ready_generation


def set_cap(user, dollars):
    member = Member.for_user(user)
    member.monthly_cap = None if dollars is None else Decimal(dollars)
    member.save()


@pytest.mark.usefixtures("sim")
class PlanTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.sequence = Sequence.objects.create(owner=self.alice, title="Kite spot")

    def plan(self, prompt, *, continues=False, seconds="8"):
        data = {"prompt": prompt, "model": "veo3.1-fast", "seconds": seconds}
        if continues:
            data["continues"] = "on"
        response = self.client.post(reverse("sequences:plan", args=[self.sequence.pk]), data)
        self.assertEqual(response.status_code, 302)
        return Shot.objects.latest("pk")

    def generate(self):
        return self.client.post(reverse("sequences:generate", args=[self.sequence.pk]))

    def shot(self, shot) -> Shot:
        return Shot.objects.select_related("generation").get(pk=shot.pk)

    def test_a_plan_over_the_cap_is_refused_as_a_whole_and_nothing_is_sent(self):
        set_cap(self.alice, "1.50")
        shots = [
            self.plan("Kite rises"),
            self.plan("Kite turns", continues=True),
            self.plan("Kite lands"),
        ]
        response = self.generate()
        self.assertContains(
            response, "This would cost $1.92, but your monthly cap leaves $1.50", status_code=400
        )
        self.assertContains(response, "Nothing was sent to CometAPI", status_code=400)
        self.assertEqual(Generation.objects.count(), 0)
        self.assertEqual(LedgerEntry.objects.count(), 0)
        self.assertTrue(all(self.shot(s).state == ShotState.PLANNED for s in shots))
        self.assertEqual(self.sim.create_count, 0)

    def test_the_team_cap_refuses_the_plan_too(self):
        from billing.models import StudioSettings

        studio = StudioSettings.load()
        studio.team_cap = Decimal("1.00")
        studio.save()
        self.plan("Kite rises")
        self.plan("Kite lands")
        self.assertContains(
            self.generate(), "the team&#x27;s monthly cap leaves $1.00", status_code=400
        )
        self.assertEqual(LedgerEntry.objects.count(), 0)

    def test_a_plan_within_the_cap_reserves_every_shot_in_one_go(self):
        set_cap(self.alice, "2.00")
        first = self.plan("Kite rises")
        second = self.plan("Kite turns", continues=True)
        response = self.generate()
        self.assertRedirects(
            response,
            self.sequence.get_absolute_url() + "#storyboard",
            fetch_redirect_response=False,
        )
        self.assertEqual(ledger.standing(self.alice).reserved, Decimal("1.28"))
        first, second = self.shot(first), self.shot(second)
        self.assertEqual(first.state, ShotState.MADE)
        self.assertEqual(first.generation.status, Status.WAITING)
        self.assertEqual(first.generation.pk, first.job_ref)
        # The continuation holds its cost but has no job yet: it waits for the video.
        self.assertEqual(second.state, ShotState.WAITING)
        self.assertIsNone(second.generation)
        self.assertEqual(LedgerEntry.objects.filter(generation_ref=second.job_ref).count(), 1)
        page = self.client.get(self.sequence.get_absolute_url())
        self.assertContains(page, "Waits for shot 1")

    def test_a_planned_continuation_waits_for_the_video_then_starts_from_its_last_frame(self):
        first = self.plan("Kite rises")
        second = self.plan("Kite turns", continues=True)
        self.generate()
        first = self.shot(first)
        self.assertFalse(jobs.start_waiting_shots())  # the first is not made yet
        self.assertEqual(self.shot(second).state, ShotState.WAITING)

        made = drive(first.generation)
        self.assertEqual(made.status, Status.READY)
        self.assertTrue(jobs.start_waiting_shots())
        second = self.shot(second)
        self.assertEqual(second.state, ShotState.MADE)
        job = second.generation
        self.assertEqual(job.pk, second.job_ref)
        self.assertEqual(job.continues, made)
        self.assertAlmostEqual(job.continues_at, made.video_duration)
        self.assertEqual(job.size, self.sequence.size)
        # Its first frame is the video's last one, cropped to nothing (same shape).
        with job.first_frame.open("rb") as handle:
            frame = Image.open(io.BytesIO(handle.read()))
            self.assertEqual(frame.size, (made.video_width, made.video_height))
        # Held once when the plan was generated, never again when it started.
        reservations = LedgerEntry.objects.filter(generation_ref=job.pk, kind=EntryKind.RESERVE)
        self.assertEqual(reservations.count(), 1)
        done = drive(job)
        self.assertEqual(done.status, Status.READY)
        self.assertEqual(self.sim.create_count, 2)
        charged = LedgerEntry.objects.filter(generation_ref=job.pk, kind=EntryKind.SETTLE)
        self.assertEqual(charged.count(), 1)
        self.assertEqual(ledger.standing(self.alice).spent, Decimal("1.28"))

    def test_continuing_a_ready_video_starts_at_once(self):
        ready = make_ready_generation(self.alice, prompt="Kite over field")
        self.sequence.add_video(ready)
        planned = self.plan("Kite turns", continues=True)
        self.generate()
        planned = self.shot(planned)
        self.assertEqual(planned.state, ShotState.MADE)
        self.assertEqual(planned.generation.continues, ready)
        self.assertTrue(planned.generation.first_frame)

    def test_when_the_shot_before_fails_the_waiting_one_is_given_up_and_released(self):
        first = self.plan("Kite rises [sim:failed]")
        second = self.plan("Kite turns", continues=True)
        self.generate()
        self.assertEqual(drive(self.shot(first).generation).status, Status.FAILED)
        self.assertTrue(jobs.start_waiting_shots())
        second = self.shot(second)
        self.assertEqual(second.state, ShotState.PLANNED)
        self.assertIn("nothing was charged", second.note)
        self.assertEqual(ledger.standing(self.alice).reserved, Decimal("0"))
        self.assertEqual(self.sim.create_count, 1)

    def test_a_first_shot_cannot_continue_anything(self):
        self.plan("Kite turns", continues=True)
        response = self.generate()
        self.assertContains(response, "it is the first", status_code=400)
        self.assertEqual(LedgerEntry.objects.count(), 0)

    def test_removing_a_waiting_shot_releases_what_was_held_for_it(self):
        self.plan("Kite rises")
        second = self.plan("Kite turns", continues=True)
        self.generate()
        self.client.post(reverse("sequences:remove", args=[self.sequence.pk, second.pk]))
        self.assertEqual(ledger.standing(self.alice).reserved, Decimal("0.64"))


@pytest.mark.usefixtures("sim")
class ProjectPlanTests(StudioTestCase):
    def test_a_project_member_generates_the_plan_the_videos_are_theirs_and_the_project_s(self):
        from generations.models import Project

        project = Project.objects.create(name="Spring", created_by=self.alice)
        sequence = Sequence.objects.create(owner=self.alice, title="Spring spot", project=project)
        sequence.plan_shot(prompt="Blossom", model="veo3.1-fast", seconds=4, continues=False)
        self.client.force_login(self.bob)  # the project is open: Bob sees and edits it
        response = self.client.post(reverse("sequences:generate", args=[sequence.pk]))
        self.assertEqual(response.status_code, 302)
        job = Generation.objects.get(prompt="Blossom")
        self.assertEqual(job.owner, self.bob)
        self.assertEqual(job.project, project)
        self.assertEqual(ledger.standing(self.bob).reserved, Decimal("0.32"))
        self.assertEqual(ledger.standing(self.alice).reserved, Decimal("0"))
