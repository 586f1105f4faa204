"""Upgrading to roles and project budgets changes nobody's work: every video stays in the
project it was in (those in none stay in none) with its sharing as it was, everyone is a
member, no project has a budget, and the ledger entries already written carry the project
their video is in, so a project's spend reads as before."""

import uuid
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.utils import timezone

from billing import ledger
from billing.models import LedgerEntry
from generations.access import is_reviewer, may_generate
from generations.models import Generation, Project, Teammate

BEFORE = [("generations", "0015_review_core"), ("billing", "0005_one_studio_settings")]


class TeamMigrationTests(TransactionTestCase):
    def test_videos_keep_their_project_and_sharing_and_everyone_is_a_member(self):
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        owner = old.get_model("auth", "User").objects.create(username="old-timer")
        project = old.get_model("generations", "Project").objects.create(name="Old client")
        videos = old.get_model("generations", "Generation").objects
        shared_at = timezone.now()
        loose = videos.create(owner_id=owner.pk, prompt="A private draft")
        shared = videos.create(owner_id=owner.pk, prompt="A shared take", shared_at=shared_at)
        inside = videos.create(owner_id=owner.pk, prompt="In the project", project_id=project.pk)
        entries = old.get_model("billing", "LedgerEntry").objects
        for video in (loose, shared, inside):
            entries.create(
                person_id=owner.pk,
                generation_ref=video.pk,
                kind="reserve",
                rate=Decimal("0.08"),
                seconds=8,
                amount=Decimal("0.64"),
                reserved=Decimal("0.64"),
                charged=Decimal("0"),
                day=date.today(),
            )
        entries.create(  # a video deleted for good: its entry is in no project
            person_id=owner.pk,
            generation_ref=uuid.uuid4(),
            kind="reserve",
            rate=Decimal("0.08"),
            seconds=4,
            amount=Decimal("0.32"),
            reserved=Decimal("0.32"),
            charged=Decimal("0"),
            day=date.today(),
        )

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        rows = dict(Generation.objects.values_list("pk", "project_id"))
        self.assertEqual(rows, {loose.pk: None, shared.pk: None, inside.pk: project.pk})
        self.assertEqual(Generation.objects.get(pk=shared.pk).shared_at, shared_at)
        self.assertIsNone(Generation.objects.get(pk=loose.pk).shared_at)
        self.assertIsNone(Generation.objects.get(pk=inside.pk).shared_at)
        tagged = dict(LedgerEntry.objects.values_list("generation_ref", "project_ref"))
        self.assertEqual(tagged[inside.pk], project.pk)
        self.assertEqual([ref for pk, ref in tagged.items() if pk != inside.pk], [None, None, None])
        spend = ledger.project_spend([project.pk])[project.pk]
        self.assertEqual(spend.total, Decimal("0.64"))
        upgraded = Project.objects.get()
        self.assertEqual((upgraded.monthly_budget, upgraded.total_budget), (None, None))
        person = get_user_model().objects.get(username="old-timer")
        self.assertFalse(Teammate.objects.exists())
        self.assertFalse(is_reviewer(person))
        self.assertTrue(may_generate(person))
