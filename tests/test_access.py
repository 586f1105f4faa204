"""Who may watch a video, asked of the database or of values already read: one answer."""

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from generations.access import (
    WATCH_FIELDS,
    may_watch,
    team_generations,
    team_to,
    visible_generations,
    watcher,
    watches,
)
from generations.models import Generation, Project, Status, poll_rows
from tests.helpers import StudioTestCase, make_generation, make_user


class MayWatchTests(StudioTestCase):
    def test_it_agrees_with_the_query_for_every_person_state_and_project(self):
        carol = make_user("carol")
        carol.is_active = False
        carol.save()
        dan, admin = make_user("dan"), make_user("boss", is_staff=True)
        open_project = Project.objects.create(name="Open", created_by=self.alice)
        limited = Project.objects.create(name="Limited", created_by=admin)
        limited.set_people(True, [dan])
        now = timezone.now()
        jobs = []
        for project in (None, open_project, limited):
            for shared_at in (None, now):
                for trashed_at in (None, now):
                    jobs.append(
                        make_generation(
                            self.alice, shared_at=shared_at, trashed_at=trashed_at, project=project
                        )
                    )
        for person in (self.alice, self.bob, carol, dan, admin, AnonymousUser()):
            visible = set(visible_generations(person).values_list("pk", flat=True))
            for job in jobs:
                with self.subTest(
                    person=str(person),
                    shared=job.is_shared,
                    trashed=job.in_trash,
                    project=str(job.project),
                ):
                    values = [getattr(job, field) for field in WATCH_FIELDS]
                    self.assertEqual(may_watch(person, *values), job.pk in visible)
            # The page's poll reads its rows with plain SQL: the same answer.
            rows = poll_rows([job.pk for job in jobs])
            watched = {row.pk for row in rows if watches(watcher(person), row)}
            self.assertEqual(watched, visible & {job.pk for job in jobs})

    def test_a_teammate_watches_only_what_is_shared_and_not_in_the_trash(self):
        shared = make_generation(self.alice, shared_at=timezone.now())

        self.assertTrue(may_watch(self.bob, self.alice.pk, None, shared.shared_at, None))
        self.assertFalse(may_watch(self.bob, self.alice.pk, None, None, None))
        self.assertFalse(may_watch(self.bob, self.alice.pk, None, shared.shared_at, timezone.now()))

    def test_a_limited_project_shows_its_videos_to_its_people_the_admins_and_the_maker(self):
        dan, admin = make_user("dan"), make_user("boss", is_staff=True)
        limited = Project.objects.create(name="Perfume", created_by=admin)
        limited.set_people(True, [dan])
        # Shared with the team before it went into the limited project: the limit wins.
        job = make_generation(self.alice, project=limited, shared_at=timezone.now())

        seen = {p.username for p in (self.alice, self.bob, dan, admin)
                if visible_generations(p).filter(pk=job.pk).exists()}  # fmt: skip

        self.assertEqual(seen, {"alice", "dan", "boss"})


class PollRowsTests(StudioTestCase):
    def test_they_carry_the_version_the_page_was_drawn_with(self):
        waiting = make_generation(self.alice)
        sent, rendering = make_generation(self.alice), make_generation(self.alice)
        shared = make_generation(self.alice, shared_at=timezone.now())
        trashed = make_generation(self.alice, shared_at=timezone.now(), trashed_at=timezone.now())
        Generation.objects.filter(pk=sent.pk).update(submit_started_at=timezone.now())
        Generation.objects.filter(pk=rendering.pk).update(
            status=Status.RENDERING,
            updated_at=timezone.now().replace(microsecond=0),  # stored without a fraction
        )
        jobs = [
            Generation.objects.get(pk=j.pk) for j in (waiting, sent, rendering, shared, trashed)
        ]

        rows = {row.pk: row for row in poll_rows([job.pk for job in jobs])}

        self.assertEqual({pk: row.poll_version for pk, row in rows.items()},
                         {job.pk: job.poll_version for job in jobs})  # fmt: skip
        self.assertEqual({pk: row.card_version for pk, row in rows.items()},
                         {job.pk: job.card_version for job in jobs})  # fmt: skip
        self.assertEqual({pk for pk, row in rows.items() if row.waits_for_slot},
                         {waiting.pk, shared.pk, trashed.pk})  # fmt: skip
        bob_may = watcher(self.bob)
        self.assertEqual({pk for pk, row in rows.items() if watches(bob_may, row)}, {shared.pk})
        self.assertEqual({row.owner_id for row in rows.values()}, {self.alice.pk})

    def test_ids_that_are_not_there_are_left_out(self):
        import uuid

        self.assertEqual(poll_rows([uuid.uuid4()]), [])
        self.assertEqual(poll_rows([]), [])


class TeamListTests(StudioTestCase):
    def test_the_team_list_read_with_the_project_ids_first_is_the_rule_s_own(self):
        dan, admin = make_user("dan"), make_user("boss", is_staff=True)
        open_project = Project.objects.create(name="Open", created_by=self.alice)
        limited = Project.objects.create(name="Limited", created_by=admin)
        limited.set_people(True, [dan])
        now = timezone.now()
        for owner in (self.alice, dan):
            for project in (None, open_project, limited):
                for shared_at in (None, now):
                    for trashed_at in (None, now):
                        make_generation(
                            owner, shared_at=shared_at, trashed_at=trashed_at, project=project
                        )
        for person in (self.alice, self.bob, dan, admin):
            with self.subTest(person=person.username):
                listed = set(team_generations(person).values_list("pk", flat=True))
                # The rule with the projects as a subquery, as the prepared counts have it.
                ruled = Generation.objects.filter(team_to(person.pk))
                self.assertEqual(listed, set(ruled.values_list("pk", flat=True)))
                self.assertTrue(listed)
        in_limited = Generation.objects.filter(project=limited, trashed_at=None)
        self.assertFalse(team_generations(self.bob).filter(pk__in=in_limited).exists())
        self.assertEqual(team_generations(dan).filter(pk__in=in_limited).count(), 4)
        self.assertFalse(team_generations(AnonymousUser()).exists())


class PreparedTeamPagesTests(StudioTestCase):
    """A page of the Team's list and of a project's, found by a query built once per shape
    (team_views.TEAM_PAGES, views.projects.PROJECT_PAGES), holds the ids the ORM's own query
    finds, for people who see different things and for every shape of the filters: a
    private video, one in the Trash, one in a project someone is not in never shows."""

    def test_the_prepared_pages_are_the_orm_s_for_each_person_and_shape(self):
        from datetime import timedelta

        from django.http import QueryDict
        from django.test import RequestFactory

        from generations import gallery
        from generations.models import Favourite, ReviewStatus
        from generations.team_views import TEAM_PAGES, TeamFilter
        from generations.views.projects import PROJECT_PAGES, ProjectPageFilter
        from veo.catalogue import Size

        dan, admin = make_user("dan"), make_user("boss", is_staff=True)
        open_project = Project.objects.create(name="Open", created_by=self.alice)
        limited = Project.objects.create(name="Limited", created_by=admin)
        limited.set_people(True, [dan])
        now = timezone.now()
        n = 0
        for owner in (self.alice, self.bob, dan):
            for project in (None, open_project, limited):
                for shared_at in (None, now):
                    for trashed_at in (None, now):
                        job = make_generation(
                            owner,
                            prompt=["A red kite over wheat", "Rain on a café window"][n % 2],
                            shared_at=shared_at,
                            trashed_at=trashed_at,
                            project=project,
                            created_at=now - timedelta(days=n, minutes=n),
                        )
                        Generation.objects.filter(pk=job.pk).update(
                            status=[Status.READY, Status.FAILED, Status.RENDERING][n % 3],
                            size=[Size.PORTRAIT_720, Size.LANDSCAPE_1080][n % 2],
                            review_status=[ReviewStatus.DRAFT, ReviewStatus.APPROVED][n % 4 == 0],
                        )
                        if n % 5 == 0:
                            Favourite.objects.create(person=self.bob, generation=job)
                        n += 1
        in_days = str(timezone.localdate() - timedelta(days=10))
        queries = [
            "",
            "sort=oldest",
            "q=kite",
            "q=KITE+wheat&status=ready",
            "status=failed&orientation=portrait",
            "review=approved",
            "starred=true",
            f"after={in_days}",
            f"before={in_days}&sort=oldest",
            f"person={dan.pk}",
            f"person={self.alice.pk}&q=rain",
            "person=999999",
            f"person={dan.pk}.5",
            f"project={open_project.pk}",
            f"project={limited.pk}",
            "project=none",
        ]
        lists = [
            (
                "team",
                TEAM_PAGES,
                TeamFilter,
                lambda person, project: team_generations(person).in_gallery(),
            ),
            (
                "project",
                PROJECT_PAGES,
                ProjectPageFilter,
                lambda person, project: (
                    visible_generations(person).in_gallery().filter(project=project)
                ),
            ),
        ]
        private = Generation.objects.filter(project=None, shared_at=None, trashed_at=None)
        compared = 0
        for person in (self.alice, self.bob, dan, admin):
            for name, pages, filterset_class, listed in lists:
                for project in (open_project, limited) if name == "project" else (None,):
                    for query in queries:
                        for number in ("1", "2", "9"):
                            with self.subTest(
                                person=person.username, list=name, query=query, page=number
                            ):
                                request = RequestFactory().get("/")
                                request.user = person
                                base = listed(person, project)
                                filterset, rows, sort = gallery.filtered(
                                    request, base, QueryDict(query), filterset_class
                                )
                                ids = rows.values_list("pk", flat=True)
                                expected = gallery.card_page(ids, number, 3)
                                within = (project.pk,) if project else ()
                                found = pages.page(filterset, sort, number, 3, *within)
                                if found is None:  # past the last page: the ORM's to find
                                    self.assertLess(expected.number, int(number))
                                    continue
                                found_ids = [_as_id(pk) for pk in found.object_list]
                                self.assertEqual(found_ids, expected.object_list)
                                self.assertEqual(
                                    (found.number, found.more), (expected.number, expected.more)
                                )
                                # Never a card the person may not see.
                                shown = Generation.objects.filter(pk__in=found_ids)
                                self.assertFalse(shown.filter(trashed_at__isnull=False).exists())
                                self.assertFalse(
                                    shown.filter(pk__in=private).exclude(owner=person).exists()
                                )
                                if person in (self.alice, self.bob):
                                    theirs = shown.filter(project=limited).exclude(owner=person)
                                    self.assertFalse(theirs.exists())
                                compared += len(found_ids)
        self.assertGreater(compared, 100)
        # An id past the database's integers is left to the ORM.
        request = RequestFactory().get("/")
        request.user = self.bob
        huge = QueryDict("person=99999999999999999999")
        filterset, _, sort = gallery.filtered(request, team_generations(self.bob), huge, TeamFilter)
        self.assertIsNone(TEAM_PAGES.page(filterset, sort, "1", 24))
        # Bob is not in the limited project: none of its videos but his own is on his Team
        # pages; Dan, who is, sees Alice's there.
        in_limited = Generation.objects.filter(project=limited, trashed_at=None)
        for person, owners in (
            (self.bob, {self.bob.pk}),
            (dan, {self.alice.pk, self.bob.pk, dan.pk}),
        ):
            request = RequestFactory().get("/")
            request.user = person
            filterset, _, sort = gallery.filtered(
                request, team_generations(person), QueryDict(f"project={limited.pk}"), TeamFilter
            )
            found = TEAM_PAGES.page(filterset, sort, "1", 24).object_list
            shown = in_limited.filter(pk__in=[_as_id(pk) for pk in found])
            self.assertEqual(len(found), shown.count())
            self.assertEqual(set(shown.values_list("owner_id", flat=True)), owners)


def _as_id(pk):
    return Generation._meta.pk.to_python(pk)
