"""The gallery's and a video's page read what they read before in fewer queries: each folded
read answers what the separate reads answered."""

from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from generations import gallery, video_page
from generations.access import approved_count, may_generate
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
                self.assertEqual(
                    gallery.own_gallery_state(person),
                    (gallery.own_counts_version(person), approved_count(person, "own")),
                )
        self.assertEqual(gallery.own_gallery_state(self.alice)[1], 1)

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


class VideoPageNeighboursTests(StudioTestCase):
    """The job's row and its whole list's neighbours, read together, are what the job alone
    and neighbours() give."""

    def test_the_job_and_its_neighbours_agree_with_reading_them_apart(self):
        at = timezone.now()
        mine = [make_ready_generation(self.alice) for _ in range(4)]
        for job in mine[:2]:
            Generation.objects.filter(pk=job.pk).update(created_at=at)
        for job in mine[2:]:
            job.share_for(self.alice)
        bobs = make_ready_generation(self.bob)
        bobs.share_for(self.bob)
        for person in (self.alice, self.bob):
            request = RequestFactory().get("/")
            request.user = person
            for job in Generation.objects.all():
                if job.owner_id != person.pk and job.shared_at is None:
                    continue
                with self.subTest(person=person.username, job=job.pk):
                    facts = video_page.PAGE_FACTS.rows(person.pk, job.pk)[0]
                    created_at = facts[-2 - len(video_page.PANEL_COLUMNS)]
                    found, beside = video_page._the_job(person, job.pk, (job.owner_id, created_at))
                    alone, none = video_page._the_job(person, job.pk)
                    self.assertEqual(found.pk, alone.pk)
                    self.assertEqual(found.__dict__.keys(), alone.__dict__.keys())
                    self.assertIsNone(none)
                    apart = video_page.neighbours(request, alone, "sort=newest")
                    self.assertEqual(
                        [g.pk if g else None for g in beside],
                        [g.pk if g else None for g in apart],
                    )

    def test_a_job_not_seen_is_a_404_with_its_neighbours_asked(self):
        from django.http import Http404

        job = make_ready_generation(self.alice)
        with self.assertRaises(Http404):
            video_page._the_job(self.bob, job.pk, (job.owner_id, job.created_at))

    def test_the_page_links_its_neighbours(self):
        older, middle, newer = (make_ready_generation(self.alice) for _ in range(3))
        self.client.force_login(self.alice)
        page = self.client.get(reverse("generations:detail", args=[middle.pk])).content.decode()
        self.assertIn(str(older.pk), page)
        self.assertIn(str(newer.pk), page)
