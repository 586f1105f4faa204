"""The gallery's and a video's page read what they read before in fewer queries: each folded
read answers what the separate reads answered."""

from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from generations import gallery, video_page
from generations.access import SEEN_PROJECTS, approved_count, may_generate
from generations.forms import seen_project_rows, usable_project_choices
from generations.models import Generation, Project, ReviewStatus
from tests.helpers import StudioTestCase, make_ready_generation, make_user


class OwnGalleryStateTests(StudioTestCase):
    def test_it_is_the_version_and_the_approved_count_read_apart(self):
        approved = make_ready_generation(self.alice)
        approved.decide_for(self.alice, ReviewStatus.APPROVED)
        trashed = make_ready_generation(self.alice)
        trashed.decide_for(self.alice, ReviewStatus.APPROVED)
        trashed.trash_for(self.alice)
        make_ready_generation(self.alice)
        bobs = make_ready_generation(self.bob)
        bobs.decide_for(self.bob, ReviewStatus.APPROVED)
        for person in (self.alice, self.bob, make_user("carol")):
            with self.subTest(person=person.username):
                request = RequestFactory().get("/")
                request.user = person
                self.assertEqual(
                    gallery.own_gallery_state(request),
                    (gallery.own_counts_version(person), approved_count(person, "own")),
                )
        request = RequestFactory().get("/")
        request.user = self.alice
        self.assertEqual(gallery.own_gallery_state(request)[1], 1)
        self.assertEqual(seen_project_rows(request), SEEN_PROJECTS.rows(self.alice.pk))

    def test_the_gallery_shows_the_approved_count_as_before(self):
        job = make_ready_generation(self.alice)
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get("/"), 'id="approved-summary"')
        job.decide_for(self.alice, ReviewStatus.APPROVED)
        page = self.client.get("/")
        self.assertContains(page, '<strong id="approved-count">1</strong> video</span>')
        self.assertContains(page, 'id="approved-only"')
        self.assertNotContains(self.client.get("/?review=approved"), 'id="approved-only"')


class SeenProjectsTests(StudioTestCase):
    def test_a_request_reads_the_projects_once_and_offers_the_same_choices(self):
        Project.objects.create(name="Kites", created_by=self.alice)
        request = RequestFactory().get("/")
        request.user = self.alice
        may_generate(self.alice)  # the person's role, read once
        with self.assertNumQueries(1):
            rows = seen_project_rows(request)
            choices = usable_project_choices(self.alice, request)
        self.assertEqual(
            [(p.pk, p.name) for p in choices],
            [(p.pk, p.name) for p in usable_project_choices(self.alice)],
        )
        self.assertEqual(len(rows), 1)

    def test_the_gallery_reads_the_projects_once(self):
        make_ready_generation(self.alice)
        Project.objects.create(name="Kites", created_by=self.alice)
        self.client.force_login(self.alice)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as seen:
            self.client.get("/")
        reads = [q for q in seen.captured_queries if 'FROM "generations_project" WHERE' in q["sql"]]
        self.assertEqual(len(reads), 1)


class GalleryCountsTests(StudioTestCase):
    def test_the_counts_read_the_projects_once_and_count_as_before(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        project = Project.objects.create(name="Kites", created_by=self.alice)
        make_ready_generation(self.alice, project=project)
        make_ready_generation(self.alice)
        with CaptureQueriesContext(connection) as seen:
            counts = self.client.get("/?counts=1")
        reads = [q for q in seen.captured_queries if 'FROM "generations_project" WHERE' in q["sql"]]
        self.assertEqual(len(reads), 1)
        self.assertContains(counts, "Kites")
        self.assertEqual(counts.content, self.client.get("/?counts=1").content)


class VideoPageReadsTests(StudioTestCase):
    """What a video's page reads beside its facts, in one round trip, is what each prepared
    query gives alone: the job, its whole list's neighbours, its history, remakes, linked
    jobs, continuations, versions, takes and reservation."""

    def _request(self, person):
        request = RequestFactory().get("/")
        request.user = person
        return request

    def test_each_read_agrees_with_its_query_asked_alone(self):
        at = timezone.now()
        mine = [make_ready_generation(self.alice) for _ in range(4)]
        for job in mine[:2]:
            Generation.objects.filter(pk=job.pk).update(created_at=at)
        for job in mine[2:]:
            job.share_for(self.alice)
        remake = make_ready_generation(self.alice, made_from=mine[1], continues=mine[0])
        make_ready_generation(self.alice, stack_id=mine[2].pk, version=2)
        bobs = make_ready_generation(self.bob)
        bobs.share_for(self.bob)
        for person in (self.alice, self.bob):
            for job in Generation.objects.all():
                if job.owner_id != person.pk and job.shared_at is None:
                    continue
                with self.subTest(person=person.username, job=job.pk):
                    request = self._request(person)
                    facts = video_page.PAGE_FACTS.rows(person.pk, job.pk)[0]
                    reads = video_page._page_reads(request, job.pk, facts, "")
                    alone = video_page.THE_JOB.objects(person.pk, job.pk)[0]
                    self.assertEqual(reads.job.__dict__.keys(), alone.__dict__.keys())
                    self.assertEqual(reads.job.pk, alone.pk)
                    apart = video_page.neighbours(request, alone, "sort=newest")
                    self.assertEqual(_pks(reads.neighbours), _pks(apart))
                    pk, viewer, root = job.pk, person.pk, alone.stack_root_id
                    self.assertEqual(_pks(reads.history), _pks(video_page.HISTORY.objects(pk)))
                    self.assertEqual(
                        _pks(reads.remakes), _pks(video_page.REMAKES.objects(viewer, pk))
                    )
                    self.assertEqual(
                        _pks(reads.continuations), _pks(video_page.CONTINUATIONS.objects(pk))
                    )
                    self.assertEqual(_pks(reads.versions), _pks(video_page.VERSIONS.objects(root)))
                    self.assertEqual(
                        _pks(reads.reservation),
                        _pks(video_page.LATEST_RESERVATION.objects(pk)),
                    )
                    for linked, to in (
                        (reads.made_from, job.made_from_id),
                        (reads.continues, job.continues_id),
                    ):
                        expected = video_page.LINKED_JOB.objects(viewer, to) if to else []
                        self.assertEqual(_pks(linked), _pks(expected))
        facts = video_page.PAGE_FACTS.rows(self.alice.pk, remake.pk)[0]
        reads = video_page._page_reads(self._request(self.alice), remake.pk, facts, "")
        self.assertEqual(_pks(reads.made_from), [mine[1].pk])
        self.assertEqual(_pks(reads.continues), [mine[0].pk])

    def test_a_list_s_neighbours_are_not_asked_with_the_job(self):
        job = make_ready_generation(self.alice)
        facts = video_page.PAGE_FACTS.rows(self.alice.pk, job.pk)[0]
        reads = video_page._page_reads(self._request(self.alice), job.pk, facts, "sort=oldest")
        self.assertIsNone(reads.neighbours)
        self.assertEqual(reads.job.pk, job.pk)

    def test_a_job_not_seen_is_a_404_whatever_else_is_asked(self):
        from django.http import Http404

        job = make_ready_generation(self.alice)
        facts = video_page.PAGE_FACTS.rows(self.alice.pk, job.pk)[0]
        with self.assertRaises(Http404):
            video_page._page_reads(self._request(self.bob), job.pk, facts, "")

    def test_the_page_links_its_neighbours(self):
        older, middle, newer = (make_ready_generation(self.alice) for _ in range(3))
        page = self.client.get(reverse("generations:detail", args=[middle.pk])).content.decode()
        self.assertIn(str(older.pk), page)
        self.assertIn(str(newer.pk), page)


class AskedTogetherTests(StudioTestCase):
    def test_it_answers_as_each_query_alone_in_one_round_trip_on_postgresql(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from generations.access import SEEN_PROJECTS
        from lib.prepared import asked_together

        job = make_ready_generation(self.alice)
        Project.objects.create(name="Kites", created_by=self.alice)
        asks = [
            (video_page.HISTORY, (job.pk,)),
            (video_page.TAKES, (job.pk,)),  # no rows
            (SEEN_PROJECTS, (self.alice.pk,)),
        ]
        with CaptureQueriesContext(connection) as seen:
            found = asked_together([query.statement(*values) for query, values in asks])
        self.assertEqual(found, [query.rows(*values) for query, values in asks])
        self.assertEqual(len(seen.captured_queries), 1 if connection.vendor == "postgresql" else 3)


def _pks(rows) -> list:
    return [row.pk if row is not None else None for row in rows or []]
