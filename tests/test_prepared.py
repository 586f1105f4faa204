"""A query built once per process answers what the ORM's own query answers, for any values."""

import uuid

from django.db.models import Q
from django.test import TestCase

from generations import gallery
from generations.models import Comment, Generation, Status, running_ids
from generations.templatetags.gallery_tags import card_key
from generations.video_page import PAGE_FACTS, _page_facts, neighbours
from lib.prepared import Prepared, PreparedModels
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

USER_PK = Generation._meta.get_field("owner").target_field


class PreparedTests(StudioTestCase):
    def test_it_answers_as_the_orm_does_for_each_person(self):
        mine = make_generation(self.alice)
        make_generation(self.bob)
        query = Prepared(
            lambda pk: Generation.objects.filter(owner_id=pk).values_list("prompt"), USER_PK
        )

        for person in (self.alice, self.bob):
            expected = list(Generation.objects.filter(owner=person).values_list("prompt"))
            self.assertEqual(query.rows(person.pk), expected)
        self.assertEqual(len(query.rows(self.alice.pk)), 1)
        self.assertEqual(mine.owner_id, self.alice.pk)

    def test_a_uuid_value_goes_in_as_the_database_keeps_it(self):
        job = make_generation(self.alice)
        query = Prepared(
            lambda pk: Generation.objects.filter(pk=pk).values_list("status"), Generation._meta.pk
        )

        self.assertEqual(query.rows(job.pk), [(job.status,)])
        self.assertEqual(query.rows(str(job.pk)), [(job.status,)])
        self.assertEqual(query.rows(uuid.uuid4()), [])

    def test_a_query_whose_sql_changes_with_its_values_is_refused(self):
        query = Prepared(
            lambda pk: (
                Generation.objects.filter(owner_id=pk)
                if pk > 0
                else Generation.objects.filter(prompt="x")
            ),
            USER_PK,
        )

        with self.assertRaises(ValueError):
            query.rows(self.alice.pk)

    def test_the_header_s_running_jobs_are_running_for_s(self):
        running = make_generation(self.alice)
        done = make_ready_generation(self.alice)
        make_generation(self.bob)

        self.assertEqual(running_ids(self.alice), Generation.objects.running_for(self.alice))
        self.assertEqual(running_ids(self.alice), [str(running.pk)])
        self.assertNotIn(str(done.pk), running_ids(self.alice))
        self.assertEqual(running_ids(self.bob), Generation.objects.running_for(self.bob))

    def test_the_gallery_version_moves_with_an_event_a_star_and_a_comment(self):
        job = make_ready_generation(self.alice)
        seen = {gallery.own_counts_version(self.alice)}

        job.set_star_for(self.alice, True)
        seen.add(gallery.own_counts_version(self.alice))
        job.trash_for(self.alice)
        seen.add(gallery.own_counts_version(self.alice))
        job.comments.create(author=self.alice, body="Nice")
        seen.add(gallery.own_counts_version(self.alice))

        self.assertEqual(len(seen), 4)
        self.assertNotEqual(
            gallery.own_counts_version(self.alice), gallery.own_counts_version(self.bob)
        )


class PageCardsTests(StudioTestCase):
    """A gallery page's cards, read by the query built once per process, are the rows the
    ORM's own query gives: the viewer's stars, the comment counts, the maker and project."""

    def _orm(self, ids, person):
        rows = gallery.as_cards(Generation.objects.filter(pk__in=ids), person, versions=False)
        found = {row.pk: row for row in rows.defer(*gallery.NOT_ON_CARDS)}
        cards = [found[pk] for pk in ids if pk in found]
        gallery.count_versions(cards, person)
        return cards

    def test_the_cards_are_the_orm_s_for_each_viewer(self):
        from generations.models import Project

        project = Project.objects.create(name="Kites", created_by=self.alice)
        jobs = [make_ready_generation(self.alice) for _ in range(gallery.PAGE_SIZE + 3)]
        jobs[0].set_star_for(self.alice, True)
        jobs[1].set_star_for(self.bob, True)
        jobs[2].comments.create(author=self.bob, body="Nice")
        jobs[3].project = project
        jobs[3].save()
        make_ready_generation(self.alice, stack=jobs[4], version=2)
        bobs = make_generation(self.bob)
        ids = [bobs.pk, uuid.uuid4()] + [job.pk for job in reversed(jobs)]

        Generation.objects.filter(pk=jobs[5].pk).update(status=Status.RENDERING)
        self.bob.first_name, self.bob.last_name, self.bob.is_active = "Bob", "Marley", False
        self.bob.save()
        for person in (self.alice, self.bob):
            for some in (ids, ids[:1], ids[5:9], []):
                with self.subTest(person=person.username, n=len(some)):
                    cards = gallery.page_cards(some, person)
                    expected = self._orm(some, person)
                    self.assertEqual(
                        [_shown(card) for card in gallery.built(cards)],
                        [_shown(card) for card in expected],
                    )
                    # A card's cache key from its row is the one the template's gives.
                    self.assertEqual(
                        [_key(card, person) for card in cards],
                        [card_key(card, "q=kite", person) for card in expected],
                    )
                    self.assertEqual(
                        [card.is_active for card in cards], [card.is_active for card in expected]
                    )
        starred = {card.pk for card in gallery.page_cards(ids, self.alice) if card.is_starred}
        self.assertEqual(starred, {jobs[0].pk})


def _key(card: gallery.Card, person) -> str:
    from generations.access import viewer_key
    from generations.templatetags.gallery_tags import _card_key

    facts = (card.owner_facts, card.project_updated_at, card.n_versions)
    return _card_key(card, *facts, "q=kite", viewer_key(person))


def _shown(card) -> tuple:
    owner, project = card.owner, card.project
    return (
        card.pk,
        {name: value for name, value in card.__dict__.items() if not name.startswith("_")},
        (owner.pk, owner.get_username(), owner.get_full_name(), owner.is_active),
        project.name if project else None,
    )


class OwnPagesTests(StudioTestCase):
    """A page of one's own gallery, from the query built once per shape (the filters set,
    the sort, the page), holds the ids the ORM's own query gives, for every filter."""

    def test_each_page_of_each_filter_is_the_orm_s(self):
        from datetime import timedelta

        from django.http import QueryDict
        from django.test import RequestFactory
        from django.utils import timezone

        from generations.models import Favourite, Project, ReviewStatus
        from veo.catalogue import Size

        project = Project.objects.create(name="Kites", created_by=self.alice)
        now = timezone.now()
        jobs = []
        for n in range(14):
            job = make_generation(
                self.alice,
                prompt=["A red kite over wheat", "Rain on a café window", "100% kite_tail"][n % 3],
                created_at=now - timedelta(days=n * 3, minutes=n),
            )
            jobs.append(job)
            Generation.objects.filter(pk=job.pk).update(
                status=[Status.READY, Status.FAILED, Status.RENDERING][n % 3],
                size=[Size.PORTRAIT_720, Size.LANDSCAPE_1080][n % 2],
                seconds=[4, 8][n // 7],
                review_status=[ReviewStatus.DRAFT, ReviewStatus.APPROVED][n % 4 == 0],
                project=project if n % 5 == 0 else None,
            )
        Generation.objects.filter(pk=jobs[1].pk).update(stack=jobs[0], version=2)
        jobs[2].trash_for(self.alice)
        Favourite.objects.create(person=self.alice, generation=jobs[3])
        Favourite.objects.create(person=self.bob, generation=jobs[4])
        make_generation(self.bob, prompt="A red kite over wheat")
        today, in_days = timezone.localdate(), str(timezone.localdate() - timedelta(days=10))
        queries = [
            "",
            "sort=oldest",
            "q=kite",
            "q=KITE+wheat&status=ready",
            "q=100%25",
            "q=kite_tail",
            "q=!!!",
            "status=active&orientation=landscape&seconds=4",
            "model=veo3.1-fast&size=1920x1080&review=approved&first_frame=without",
            "starred=true",
            "starred=false",
            "when=today",
            "when=7d&sort=oldest",
            "when=30d",
            f"after={in_days}",
            f"before={in_days}",
            f"after={in_days}&before={today}",
            f"project={project.pk}",
            "project=none",
            "project=999999",
            "project=nonsense",
            "status=nonsense",
        ]
        pages = gallery.PreparedPages()
        for person in (self.alice, self.bob):
            for query in queries:
                for number in ("1", "2", "3", "9", "x"):
                    with self.subTest(person=person.username, query=query, page=number):
                        request = RequestFactory().get("/")
                        request.user = person
                        data = QueryDict(query)
                        filterset, rows, sort = gallery.filtered(
                            request, Generation.objects.filter(owner=person).in_gallery(), data
                        )
                        expected = gallery.card_page(rows.values_list("pk", flat=True), number, 4)
                        found = pages.page(filterset, sort, number, 4)
                        if found is None:  # past the last page, or a filter not understood
                            past = expected.number < int(number) if number.isdigit() else False
                            self.assertTrue(past or query.endswith("=nonsense"))
                            continue
                        self.assertEqual(
                            [_as_id(pk) for pk in found.object_list], expected.object_list
                        )
                        self.assertEqual(
                            (found.number, found.more), (expected.number, expected.more)
                        )
        # What was compared is not empty.
        request = RequestFactory().get("/")
        request.user = self.alice
        filterset, _, sort = gallery.filtered(
            request, Generation.objects.all(), QueryDict("q=kite&status=ready")
        )
        self.assertEqual(len(pages.page(filterset, sort, "1", 24).object_list), 5)

    def test_past_its_bound_a_shape_is_left_to_the_orm(self):
        from django.http import QueryDict
        from django.test import RequestFactory

        make_generation(self.alice)
        pages = gallery.PreparedPages()
        pages.MOST_SHAPES = 1
        request = RequestFactory().get("/")
        request.user = self.alice
        answers = []
        for query in ("", "q=kite", ""):
            filterset, _, sort = gallery.filtered(
                request, Generation.objects.all(), QueryDict(query)
            )
            answers.append(pages.page(filterset, sort, "1", 24))

        self.assertEqual([page is not None for page in answers], [True, False, True])


def _as_id(pk):
    return Generation._meta.pk.to_python(pk)


class NeighboursTests(StudioTestCase):
    """A video's Previous and Next in its whole list (no list in the link) are what the
    gallery's own query finds: the person's list for their video, the team's for a
    teammate's, ties on the time broken by the id, the Trash left out."""

    def test_the_whole_list_agrees_with_the_newest_first_query(self):
        from django.test import RequestFactory
        from django.utils import timezone

        at = timezone.now()
        mine = [make_ready_generation(self.alice) for _ in range(4)]
        for job in mine[:3]:  # three at the same moment: the id decides
            Generation.objects.filter(pk=job.pk).update(created_at=at)
        mine[3].share_for(self.alice)
        trashed = make_ready_generation(self.alice)
        trashed.trash_for(self.alice)
        bobs = make_ready_generation(self.bob)
        bobs.share_for(self.bob)
        for person in (self.alice, self.bob):
            request = RequestFactory().get("/")
            request.user = person
            for job in Generation.objects.exclude(pk=trashed.pk):
                if job.owner_id != person.pk and job.shared_at is None:
                    continue
                with self.subTest(person=person.username, job=job.pk):
                    whole = neighbours(request, job, "")
                    listed = neighbours(request, job, "sort=newest")
                    self.assertEqual(
                        [g.pk if g else None for g in whole],
                        [g.pk if g else None for g in listed],
                    )
                    self.assertNotIn(trashed.pk, [g.pk for g in whole if g])


def _alice_private_shared_trashed():
    """Alice and Bob, and three videos of Alice's: private, shared, shared then trashed."""
    from tests.helpers import make_user

    alice, bob = make_user("alice"), make_user("bob")
    private = make_ready_generation(alice)
    shared = make_ready_generation(alice)
    shared.share_for(alice)
    trashed = make_ready_generation(alice)
    trashed.share_for(alice)
    trashed.trash_for(alice)
    return alice, bob, private, shared, trashed


class PageFactsTests(TestCase):
    """The video page's one question agrees with visible_generations on who may look."""

    def test_it_finds_exactly_what_the_person_may_watch(self):
        alice, bob, private, shared, trashed = _alice_private_shared_trashed()
        for person in (alice, bob):
            for job in (private, shared, trashed):
                with self.subTest(person=person.username, job=job.pk):
                    may = (
                        Generation.objects.filter(pk=job.pk)
                        .filter(pk__in=_visible_ids(person))
                        .exists()
                    )
                    self.assertEqual(bool(PAGE_FACTS.rows(person.pk, job.pk)), may)
                    orm = list(_page_facts(person.pk, job.pk))
                    self.assertEqual(len(orm), len(PAGE_FACTS.rows(person.pk, job.pk)))
        self.assertEqual(private.status, Status.READY)


class StoredFilesTests(TestCase):
    """The door of a video's files finds what `get_for_viewing` finds, with its files."""

    def test_it_finds_exactly_what_the_person_may_watch(self):
        from generations.access import STORED_FILES
        from generations.models import Project

        alice, bob, private, shared, trashed = _alice_private_shared_trashed()
        board_only = Project.objects.create(name="Board only", created_by=alice, limited=True)
        kept = make_ready_generation(alice, project=board_only)
        running = make_generation(alice)
        running.share_for(alice)
        for person in (alice, bob):
            for job in (private, shared, trashed, kept, running):
                with self.subTest(person=person.username, job=job.pk):
                    orm = Generation.objects.filter(pk=job.pk, pk__in=_visible_ids(person))
                    found = STORED_FILES.objects(person.pk, job.pk)
                    self.assertEqual(
                        [(g.pk, g.status, g.video, g.poster, g.first_frame_thumbnail)
                         for g in found],
                        [(g.pk, g.status, g.video, g.poster, g.first_frame_thumbnail)
                         for g in orm],
                    )  # fmt: skip
        self.assertTrue(STORED_FILES.objects(bob.pk, shared.pk)[0].is_ready)
        self.assertEqual(STORED_FILES.objects(bob.pk, kept.pk), [])


def _visible_ids(person):
    from generations.access import visible_generations

    return visible_generations(person).values("pk")


class InboxLinesTests(StudioTestCase):
    """The inbox page's lines, from a query built once per process, are `readable`'s: the
    lines about a video or project the person no longer sees stay out, newest first."""

    def test_they_are_what_readable_lists_for_each_person(self):
        from generations.models import Notification, NotificationKind, Project
        from generations.notifications import inbox_lines, notify, readable
        from tests.helpers import make_user

        admin = make_user("ada", is_staff=True)
        shared = make_ready_generation(self.alice)
        shared.share_for(self.alice)
        later_private = make_ready_generation(self.alice)
        later_private.share_for(self.alice)
        project = Project.objects.create(name="Perfume", created_by=self.alice)
        in_project = make_ready_generation(self.alice)
        in_project.move_for(self.alice, project)
        people = [self.alice, self.bob, admin]
        for video in (shared, later_private, in_project):
            notify(people, NotificationKind.SHARED, f"about {video.pk}", generation=video)
        notify(people, NotificationKind.BUDGET, "budget", project=project)
        notify(people, NotificationKind.MENTION, "no video")
        Notification.objects.filter(recipient=self.bob, text="budget").update(
            read_at=shared.created_at
        )

        later_private.unshare_for(self.alice)
        project.limited = True  # Bob is not named: its video and its budget leave his inbox
        project.save()

        for person in people:
            expected = [
                (line.pk, line.kind, line.text, line.created_at, line.read_at)
                for line in readable(person).order_by("-created_at", "-pk")
            ]
            with self.subTest(person=person.username):
                self.assertEqual([tuple(line) for line in inbox_lines(person)], expected)
        self.assertEqual(len(inbox_lines(self.bob)), 2)  # the shared video's line, "no video"
        self.assertEqual(len(inbox_lines(admin)), 4)  # a draft again is Alice's alone


class SequenceListTests(StudioTestCase):
    """The Sequences page's list, from a query built once per process, is exactly
    `visible_sequences`: one's own personal ones, and those of the projects one sees."""

    def test_it_lists_what_each_person_may_open(self):
        from generations.models import Project
        from sequences.access import listed_sequences, visible_sequences
        from sequences.models import Sequence
        from tests.helpers import make_user

        admin = make_user("ada", is_staff=True)
        open_project = Project.objects.create(name="Spring", created_by=self.bob)
        limited = Project.objects.create(name="Board", created_by=self.bob, limited=True)
        limited.members.add(self.bob)
        Sequence.objects.create(owner=self.alice, title="Alice's own")
        Sequence.objects.create(owner=self.bob, title="Bob's own")
        Sequence.objects.create(owner=self.bob, project=open_project, title="Spring spot")
        Sequence.objects.create(owner=self.bob, project=limited, title="Board only")

        for person in (self.alice, self.bob, admin):
            with self.subTest(person=person.username):
                self.assertEqual(
                    [row[1] for row in listed_sequences(person)],
                    list(visible_sequences(person).values_list("title", flat=True)),
                )
        self.assertEqual(
            sorted(row[1] for row in listed_sequences(self.alice)), ["Alice's own", "Spring spot"]
        )


def _as_loaded(instance) -> dict:
    """What the ORM put on an instance: its loaded fields, annotations and related rows."""
    loaded = {
        name: value
        for name, value in vars(instance).items()
        if not name.startswith("_") and name != "is_starred"
    }
    for name, related in instance._state.fields_cache.items():
        loaded[name] = _as_loaded(related) if related is not None else None
    return loaded


class PreparedModelsTests(StudioTestCase):
    """A prepared query that answers with instances answers as the queryset does: the same
    rows, in the same order, each field of the same Python type and value."""

    def assertAnswersAsTheOrm(self, query, *values):
        expected = [_as_loaded(row) for row in query.build(*values)]
        self.assertEqual([_as_loaded(row) for row in query.objects(*values)], expected)
        return expected

    def test_instances_carry_dates_ids_and_related_rows_as_the_orm_reads_them(self):
        job = make_ready_generation(self.alice)
        job.comments.create(author=self.alice, body="Lovely")
        query = PreparedModels(
            lambda pk: Comment.objects.filter(generation=pk).select_related(
                "author", "resolved_by"
            ),
            Generation._meta.pk,
        )

        (comment,) = query.objects(job.pk)

        self.assertEqual(comment.generation_id, job.pk)
        self.assertEqual(comment.author, self.alice)
        self.assertIsNone(comment.resolved_by)
        self.assertIsNotNone(comment.created_at.tzinfo)
        self.assertAnswersAsTheOrm(query, job.pk)
        self.assertEqual(query.objects(uuid.uuid4()), [])


class VideoPageQueriesTests(StudioTestCase):
    """Each question a video's page asks, built once per process, answers as the ORM does
    for the owner and for a teammate: the job, its links, versions, takes, history, comments
    and its cost."""

    def setUp(self):
        super().setUp()
        self.first = make_ready_generation(self.alice, prompt="Kite")
        self.second = make_ready_generation(self.alice, prompt="Kite, closer")
        self.gone = make_ready_generation(self.alice, prompt="Kite, trashed")
        for version, job in ((2, self.second), (3, self.gone)):
            Generation.objects.filter(pk=job.pk).update(
                stack=self.first,
                version=version,
                made_from=self.first,
                continues=self.first,
                continues_at=2.5,
            )
        self.gone.trash_for(self.alice)
        self.first.share_for(self.alice)
        self.first.comments.create(author=self.bob, body="Nice light")
        self.first.set_star_for(self.alice, True)
        for job in (self.first, self.second, self.gone):
            job.refresh_from_db()

    def test_the_page_s_questions_answer_as_the_orm_for_each_person(self):
        from generations import video_page

        check = PreparedModelsTests.assertAnswersAsTheOrm
        for person in (self.alice, self.bob):
            for job in (self.first, self.second, self.gone):
                with self.subTest(person=person.username, job=job.prompt):
                    pair = (person.pk, job.pk)
                    check(self, video_page.THE_JOB, *pair)
                    check(self, video_page.LINKED_JOB, *pair)
                    check(self, video_page.REMAKES, *pair)
                    check(self, video_page.CONTINUATIONS, job.pk)
                    check(self, video_page.VERSIONS, self.first.pk)
                    check(self, video_page.HISTORY, job.pk)
                    check(self, video_page.COMMENTS, job.pk)
                    check(self, video_page.LATEST_RESERVATION, job.pk)
        # What the checks above compared is not empty.
        self.assertEqual(len(video_page.REMAKES.objects(self.alice.pk, self.first.pk)), 1)
        self.assertTrue(video_page.HISTORY.objects(self.first.pk))
        self.assertTrue(video_page.LATEST_RESERVATION.objects(self.first.pk))
        self.assertEqual(video_page.THE_JOB.objects(self.bob.pk, self.second.pk), [])

    def test_the_versions_and_continuations_shown_are_those_the_person_may_watch(self):
        from generations.access import visible_generations
        from generations.video_page import shots, versions_seen

        for person in (self.alice, self.bob):
            seen = visible_generations(person)
            for job in (self.first, self.second, self.gone):
                with self.subTest(person=person.username, job=job.prompt):
                    versions = (
                        seen.filter(Q(pk=self.first.pk) | Q(stack_id=self.first.pk))
                        .filter(Q(trashed_at__isnull=True) | Q(pk=job.pk))
                        .order_by("version", "pk")
                    )
                    self.assertEqual(
                        [v.pk for v in versions_seen(person, job)["versions"]],
                        [v.pk for v in versions],
                    )
                    continuations = seen.filter(continues=job).in_gallery()[:12]
                    self.assertEqual(
                        [shot["video"].pk for shot in shots(person, job)["continuations"]],
                        [shot.pk for shot in continuations],
                    )
        self.assertEqual(len(versions_seen(self.alice, self.gone)["versions"]), 3)
        self.assertEqual(len(versions_seen(self.alice, self.first)["versions"]), 2)
        self.assertEqual(len(versions_seen(self.bob, self.first)["versions"]), 1)
        self.assertEqual(len(shots(self.alice, self.first)["continuations"]), 1)
        self.assertEqual(shots(self.bob, self.first)["continuations"], [])

    def test_a_take_group_s_rows_are_the_orm_s(self):
        from generations.access import WATCH_FIELDS
        from generations.video_page import TAKES

        group = uuid.uuid4()
        Generation.objects.filter(pk__in=[self.first.pk, self.second.pk]).update(take_group=group)

        rows = TAKES.rows(group)

        expected = Generation.objects.filter(take_group=group).values_list(*WATCH_FIELDS)
        self.assertEqual(
            sorted((owner, project, shared is not None) for owner, project, shared, _ in rows),
            sorted((owner, project, shared is not None) for owner, project, shared, _ in expected),
        )
        self.assertEqual(len(rows), 2)


class ReviewLinksPanelQueriesTests(StudioTestCase):
    """The review links panel's list, built once per process, is what
    ReviewLink.objects.made_by(person).live() finds showing the video: the links naming it,
    a stack's links holding another version, the project's links; an admin sees everyone's;
    a revoked or expired link is left out."""

    def test_the_panel_lists_what_the_orm_finds(self):
        from datetime import timedelta

        from django.utils import timezone

        from generations.models import Project
        from reviewlinks.models import ReviewLink
        from reviewlinks.templatetags.reviewlinks import links_showing, panel_links
        from tests.helpers import make_user

        boss = make_user("boss", is_staff=True)
        project = Project.objects.create(name="Maison Lune", created_by=self.alice)
        first = make_ready_generation(self.alice, prompt="Kite")
        second = make_ready_generation(self.alice, prompt="Kite, closer", project=project)
        Generation.objects.filter(pk=second.pk).update(stack=first, version=2)
        second.refresh_from_db()
        named, _ = ReviewLink.create_for(self.alice, name="Named", days=7, videos=[second])
        ReviewLink.create_for(self.alice, name="Stack", days=7, videos=[first], whole_stack=True)
        ReviewLink.create_for(self.alice, name="First only", days=7, videos=[first])
        ReviewLink.create_for(self.alice, name="Project", days=7, project=project)
        ReviewLink.create_for(boss, name="Boss's", days=7, videos=[second])
        revoked, _ = ReviewLink.create_for(self.alice, name="Revoked", days=7, videos=[second])
        ReviewLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
        expired, _ = ReviewLink.create_for(self.alice, name="Expired", days=1, videos=[second])
        ReviewLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))

        now = timezone.now()
        for person in (self.alice, boss):
            for video in (first, second):
                with self.subTest(person=person.username, video=video.prompt):
                    project_id = video.project_id
                    orm = links_showing(
                        ReviewLink.objects.made_by(person),
                        video.pk,
                        video.stack_root_id,
                        now,
                        project_id,
                    )
                    self.assertEqual(
                        sorted(link.name for link in panel_links(person, video, now)),
                        sorted(link.name for link in orm),
                    )
        self.assertEqual(
            sorted(link.name for link in panel_links(self.alice, second, now)),
            ["Named", "Project", "Stack"],
        )
        self.assertIn("Boss's", [link.name for link in panel_links(boss, second, now)])
        self.assertEqual(named.created_by, self.alice)

    def test_the_page_s_facts_tell_whether_the_panel_finds_a_link(self):
        from datetime import timedelta

        from django.utils import timezone

        from generations.models import Project
        from generations.video_page import review_links_live
        from reviewlinks.models import ReviewLink
        from reviewlinks.templatetags.reviewlinks import panel_links
        from tests.helpers import make_user

        boss = make_user("boss", is_staff=True)
        project = Project.objects.create(name="Maison Lune", created_by=self.alice)
        first = make_ready_generation(self.alice, prompt="Kite")
        second = make_ready_generation(self.alice, prompt="Kite, closer", project=project)
        Generation.objects.filter(pk=second.pk).update(stack=first, version=2)
        third = make_ready_generation(self.alice, prompt="Kite, third", stack_id=first.pk)
        alone = make_ready_generation(self.alice, prompt="Alone")
        named_elsewhere = make_ready_generation(self.alice, prompt="Named by Bob")
        bosses = make_ready_generation(boss, prompt="The boss's")
        bosses_too = make_ready_generation(boss, prompt="The boss's, in the project")
        Generation.objects.filter(pk=bosses_too.pk).update(project=project)
        ReviewLink.create_for(self.alice, name="Stack", days=7, videos=[second], whole_stack=True)
        ReviewLink.create_for(
            self.bob, name="Bob's", days=7, videos=[named_elsewhere, bosses, first]
        )
        ReviewLink.create_for(self.alice, name="Project", days=7, project=project)
        revoked, _ = ReviewLink.create_for(self.alice, name="Revoked", days=7, videos=[alone])
        ReviewLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
        expired, _ = ReviewLink.create_for(self.alice, name="Expired", days=1, videos=[alone])
        ReviewLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))

        expected = {first: 1, second: 1, third: 1, alone: 0, named_elsewhere: 0, bosses: 1}
        expected[bosses_too] = 1
        for video, found in expected.items():
            video.refresh_from_db()
            owner = video.owner
            with self.subTest(owner=owner.username, video=video.prompt):
                facts = PAGE_FACTS.rows(owner.pk, video.pk)[0]
                self.assertEqual(review_links_live(facts), bool(panel_links(owner, video)))
                self.assertEqual(len(panel_links(owner, video)) > 0, bool(found))
        # A teammate watching a linked video has no panel on it: nothing to ask.
        first.share_for(self.alice)
        self.assertFalse(review_links_live(PAGE_FACTS.rows(self.bob.pk, first.pk)[0]))
