"""Who may watch a video, asked of the database or of values already read: one answer."""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from generations.access import WATCH_FIELDS, may_watch, visible_generations
from tests.helpers import StudioTestCase, make_generation, make_user


class MayWatchTests(StudioTestCase):
    def test_it_agrees_with_the_query_for_every_person_and_state(self):
        carol = make_user("carol")
        carol.is_active = False
        carol.save()
        now = timezone.now()
        jobs = []
        for shared_at in (None, now):
            for trashed_at in (None, now):
                jobs.append(make_generation(self.alice, shared_at=shared_at, trashed_at=trashed_at))
        for person in (self.alice, self.bob, carol, AnonymousUser()):
            visible = set(visible_generations(person).values_list("pk", flat=True))
            for job in jobs:
                with self.subTest(person=str(person), shared=job.is_shared, trashed=job.in_trash):
                    values = [getattr(job, field) for field in WATCH_FIELDS]
                    self.assertEqual(may_watch(person, *values), job.pk in visible)

    def test_a_teammate_watches_only_what_is_shared_and_not_in_the_trash(self):
        shared = make_generation(self.alice, shared_at=timezone.now())

        self.assertTrue(may_watch(self.bob, self.alice.pk, shared.shared_at, None))
        self.assertFalse(may_watch(self.bob, self.alice.pk, None, None))
        self.assertFalse(may_watch(self.bob, self.alice.pk, shared.shared_at, timezone.now()))
