"""The counts every page asks for, from queries built once per process (prepared.py),
answer exactly as the ORM's own queries do: the bell's unread lines and the approved count
beside "Download approved (ZIP)"."""

from generations.access import approved_count, approved_in
from generations.models import NotificationKind, Project, ReviewStatus
from generations.notifications import notify, readable, unread_count
from tests.helpers import StudioTestCase, make_ready_generation, make_user


def _orm_approved(user, where: str) -> int:
    return approved_in(user, where).filter(trashed_at__isnull=True).count()


class ApprovedCountTests(StudioTestCase):
    def test_each_list_counts_what_its_own_query_counts(self):
        admin = make_user("admin", is_staff=True)
        open_project = Project.objects.create(name="Open", created_by=self.alice)
        limited = Project.objects.create(name="Board", created_by=admin, limited=True)
        private = make_ready_generation(self.alice)
        shared = make_ready_generation(self.alice)
        shared.share_for(self.alice)
        in_open = make_ready_generation(self.bob, project=open_project)
        in_limited = make_ready_generation(admin, project=limited)
        trashed = make_ready_generation(self.alice)
        draft = make_ready_generation(self.alice)
        for job in (private, shared, in_open, in_limited, trashed):
            job.decide_for(None, ReviewStatus.APPROVED, guest_name="Claire")
        trashed.trash_for(self.alice)
        draft.decide_for(None, ReviewStatus.CHANGES, guest_name="Claire")

        wheres = ["own", "team", str(open_project.pk), str(limited.pk), "elsewhere"]
        for person in (self.alice, self.bob, admin):
            for where in wheres:
                with self.subTest(person=person.username, where=where):
                    self.assertEqual(approved_count(person, where), _orm_approved(person, where))
        self.assertEqual(approved_count(self.alice, "own"), 2)  # not the trashed one
        self.assertEqual(approved_count(self.bob, str(limited.pk)), 0)
        self.assertEqual(approved_count(admin, str(limited.pk)), 1)

    def test_the_gallery_says_how_many_of_yours_are_approved(self):
        job = make_ready_generation(self.alice)
        self.assertNotContains(self.client.get("/"), 'id="approved-count"')

        job.decide_for(None, ReviewStatus.APPROVED, guest_name="Claire")

        self.assertContains(self.client.get("/"), '<strong id="approved-count">1</strong>')


class UnreadCountTests(StudioTestCase):
    def test_the_bell_counts_what_the_inbox_lists_as_unread(self):
        job = make_ready_generation(self.bob)
        job.share_for(self.bob)
        notify([self.alice], NotificationKind.COMMENT, "Bob commented", generation=job)
        notify([self.alice], NotificationKind.COMMENT, "Bob again", generation=job)
        for person in (self.alice, self.bob):
            self.assertEqual(
                unread_count(person), readable(person).filter(read_at__isnull=True).count()
            )
        self.assertEqual(unread_count(self.alice), 2)

        job.unshare_for(self.bob)  # the lines about a video she no longer sees drop out

        self.assertEqual(unread_count(self.alice), 0)
        self.assertEqual(unread_count(self.bob), 0)


class VersionCountTests(StudioTestCase):
    """A gallery page counts each card's versions after reading its rows (count_versions):
    the same numbers as the correlated counts (with_version_counts) for every viewer."""

    def test_each_card_counts_the_versions_its_viewer_may_watch(self):
        from generations.gallery import count_versions, with_version_counts
        from generations.models import Generation

        admin = make_user("admin", is_staff=True)
        limited = Project.objects.create(name="Board", created_by=admin, limited=True)
        single = make_ready_generation(self.alice, prompt="single")
        single.share_for(self.alice)
        root = make_ready_generation(self.alice, prompt="root")
        root.share_for(self.alice)
        shared_two = make_ready_generation(self.alice, stack=root, version=2)
        shared_two.share_for(self.alice)
        make_ready_generation(self.alice, stack=root, version=3)  # private
        trashed = make_ready_generation(self.alice, stack=root, version=4)
        trashed.trash_for(self.alice)
        boxed = make_ready_generation(admin, prompt="boxed", project=limited)
        make_ready_generation(admin, stack=boxed, version=2, project=limited)
        everything = list(Generation.objects.all())

        for person in (self.alice, self.bob, admin):
            with self.subTest(person=person.username):
                expected = {
                    row.pk: row.n_versions
                    for row in with_version_counts(Generation.objects.all(), person)
                }
                cards = [Generation.objects.get(pk=row.pk) for row in everything]
                count_versions(cards, person)
                self.assertEqual({card.pk: card.n_versions for card in cards}, expected)
        count_versions(cards := [Generation.objects.get(pk=root.pk)], self.bob)
        self.assertEqual(cards[0].n_versions, 2)  # v1 and the shared v2


class ProjectChoicesTests(StudioTestCase):
    def test_the_move_menus_offer_what_usable_projects_offers(self):
        from django.utils import timezone

        from generations.forms import usable_project_choices, usable_projects
        from generations.models import Role, Teammate

        admin = make_user("admin", is_staff=True)
        reviewer = make_user("rita")
        Teammate.objects.update_or_create(user=reviewer, defaults={"role": Role.REVIEWER})
        Project.objects.create(name="Zebra", created_by=self.alice)
        Project.objects.create(name="Apple", created_by=self.alice)
        Project.objects.create(name="Old", created_by=self.alice, archived_at=timezone.now())
        limited = Project.objects.create(name="Board", created_by=admin, limited=True)
        limited.members.add(self.bob)

        for person in (self.alice, self.bob, admin, reviewer):
            with self.subTest(person=person.username):
                self.assertEqual(
                    [(p.pk, p.name) for p in usable_project_choices(person)],
                    [(p.pk, p.name) for p in usable_projects(person)],
                )
        self.assertEqual([p.name for p in usable_project_choices(self.alice)], ["Apple", "Zebra"])
        self.assertEqual(usable_project_choices(reviewer), [])
