"""Alice's batch goes into a sequence: on the plan she picks one she may edit; generating
adds every video as a shot at the end, in the rows' order (takes side by side), each shot
filling in when its video is ready. A project's sequence brings its project; a sequence she
may not edit is refused; a plan refused over a cap adds no shot."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from batches.models import Batch
from billing.models import LedgerEntry, Member
from generations.models import Generation, Project
from sequences.models import Sequence, ShotState
from tests.helpers import StudioTestCase, drive, make_ready_generation
from tests.test_batches_plan import SHEET


@pytest.mark.usefixtures("sim")
class BatchIntoSequenceTests(StudioTestCase):
    def plan(self) -> Batch:
        sheet = SimpleUploadedFile("spring.csv", SHEET.encode(), content_type="text/csv")
        self.client.post(reverse("batches:batches"), {"sheet": sheet})
        return Batch.objects.get()

    def choose(self, batch: Batch, sequence) -> object:
        return self.client.post(
            reverse("batches:sequence", args=[batch.pk]),
            {"sequence": "" if sequence is None else sequence.pk},
            follow=True,
        )

    def test_the_videos_become_shots_in_the_rows_order_and_fill_in_when_ready(self):
        sequence = Sequence.objects.create(owner=self.alice, title="Spring spot")
        opening = make_ready_generation(self.alice, prompt="An opening shot")
        sequence.add_video(opening)
        batch = self.plan()
        page = self.client.get(batch.get_absolute_url())
        self.assertContains(page, 'id="plan-sequence-choice"')
        self.assertContains(page, "Spring spot")
        response = self.choose(batch, sequence)
        self.assertContains(response, "Every video becomes a shot of “Spring spot”")
        self.assertContains(response, "as shots of “Spring spot”")  # the plan's summary

        self.client.post(reverse("batches:generate", args=[batch.pk]))
        shots = list(sequence.ordered_shots())
        self.assertEqual(
            [(s.generation.title or s.generation.prompt, s.generation.take_number) for s in shots],
            [("An opening shot", 1), ("Bottle", 1), ("Cap", 1), ("Cap", 2), ("Storm", 1)],
        )
        self.assertTrue(all(s.state == ShotState.MADE for s in shots))
        self.assertEqual({s.planned_by for s in shots[1:]}, {self.alice})
        sequence.refresh_from_db()
        self.assertIn("Shot 2 is not made yet", sequence.export_problem(self.alice))
        storyboard = self.client.get(sequence.get_absolute_url())
        self.assertContains(storyboard, "Bottle")
        videos_page = self.client.get(reverse("batches:videos", args=[batch.pk]))
        self.assertContains(videos_page, 'id="batch-sequence"')

        for shot in shots[1:]:
            drive(shot.generation)
        self.assertEqual(sequence.export_problem(self.alice), "")

    def test_a_project_sequence_brings_its_project_and_another_project_drops_it(self):
        project = Project.objects.create(name="Spring perfume", created_by=self.alice)
        other = Project.objects.create(name="Autumn", created_by=self.alice)
        sequence = Sequence.objects.create(owner=self.bob, title="Perfume film", project=project)
        batch = self.plan()
        response = self.choose(batch, sequence)
        self.assertContains(response, "goes into its project “Spring perfume”")
        batch.refresh_from_db()
        self.assertEqual((batch.sequence, batch.project), (sequence, project))

        response = self.client.post(
            reverse("batches:project", args=[batch.pk]), {"project": other.pk}, follow=True
        )
        self.assertContains(response, "so the plan no longer goes into it")
        batch.refresh_from_db()
        self.assertEqual((batch.sequence, batch.project), (None, other))

        self.choose(batch, sequence)
        self.client.post(reverse("batches:generate", args=[batch.pk]))
        made = Generation.objects.filter(owner=self.alice)
        self.assertEqual(made.count(), 4)
        self.assertEqual({v.project for v in made}, {project})
        self.assertEqual(sequence.shots.count(), 4)
        self.assertEqual(
            sequence.export_problem(self.alice),
            "Shot 1 is not made yet. Export once every shot has its video.",
        )

    def test_a_sequence_she_may_not_edit_is_neither_offered_nor_taken(self):
        theirs = Sequence.objects.create(owner=self.bob, title="Bob's private cut 9f2")
        batch = self.plan()
        self.assertNotContains(self.client.get(batch.get_absolute_url()), "Bob's private cut")
        response = self.choose(batch, theirs)
        self.assertContains(response, "That sequence is no longer yours to edit")
        batch.refresh_from_db()
        self.assertIsNone(batch.sequence)

    def test_a_sequence_lost_since_it_was_chosen_refuses_the_plan_with_nothing_sent(self):
        project = Project.objects.create(name="Spring perfume", created_by=self.alice)
        sequence = Sequence.objects.create(owner=self.alice, title="Perfume film", project=project)
        batch = self.plan()
        self.choose(batch, sequence)
        Batch.objects.filter(pk=batch.pk).update(project=None)  # a plan out of step with it
        response = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertContains(response, "takes its project&#x27;s videos only")
        self.assertEqual((Generation.objects.count(), LedgerEntry.objects.count()), (0, 0))
        self.assertEqual(sequence.shots.count(), 0)
        self.assertEqual(self.sim.create_count, 0)

    def test_a_plan_refused_over_a_cap_adds_no_shot(self):
        member = Member.for_user(self.alice)
        member.monthly_cap = Decimal("1.00")
        member.save()
        sequence = Sequence.objects.create(owner=self.alice, title="Spring spot")
        batch = self.plan()
        self.choose(batch, sequence)
        response = self.client.post(reverse("batches:generate", args=[batch.pk]), follow=True)
        self.assertContains(response, "The whole plan was refused")
        self.assertEqual(sequence.shots.count(), 0)
        sequence.refresh_from_db()
        self.assertEqual(sequence.version, 1)
