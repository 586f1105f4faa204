"""The Links page reads its rows with a query built once per process
(reviewlinks/views.py `listed_links`): the same links, makers, projects and video counts as
the queryset it stands for, and each row's links as `{% url %}` wrote them."""

from datetime import timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from generations.models import Project
from reviewlinks.models import ReviewLink
from reviewlinks.views import listed_links
from tests.helpers import StudioTestCase, make_ready_generation, make_user


def facts(links) -> list[tuple]:
    return [
        (
            link.pk,
            link.name,
            link.created_by.get_username(),
            link.created_by.get_full_name(),
            link.project.name if link.project else None,
            link.n_videos,
            link.whole_stack,
            link.expires_at,
            link.views,
            link.last_visit_at,
            link.has_password,
        )
        for link in links
    ]


class ListedLinksTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.admin = make_user("ada", is_staff=True, first_name="Ada", last_name="L")
        kite = make_ready_generation(cls.alice, prompt="A kite")
        boat = make_ready_generation(cls.alice, prompt="A boat")
        cls.project = Project.objects.create(name="Launch & <co>", created_by=cls.alice)
        ReviewLink.create_for(cls.alice, name="Two videos", days=30, videos=[kite, boat])
        ReviewLink.create_for(cls.alice, name="Project", days=7, project=cls.project)
        ReviewLink.create_for(cls.alice, name="Locked", days=3, password="pw", videos=[kite])
        gone, _ = ReviewLink.create_for(cls.alice, name="Revoked", days=30, videos=[kite])
        gone.revoke_for(cls.alice)
        ReviewLink.create_for(cls.bob, name="Bob's", days=30, videos=[])
        ReviewLink.objects.filter(name="Locked").update(
            views=3, last_visit_at=timezone.now() - timedelta(hours=1)
        )

    def expected(self, person, now):
        return facts(
            ReviewLink.objects.made_by(person)
            .live(now)
            .select_related("created_by", "project")
            .annotate(n_videos=Count("videos"))
        )

    def test_each_person_sees_the_queryset_s_rows(self):
        now = timezone.now()
        for person in (self.alice, self.bob, self.admin):
            with self.subTest(person=person.username):
                found = facts(listed_links(person, now))
                self.assertEqual(found, self.expected(person, now))
                self.assertTrue(found)
        self.assertEqual(len(listed_links(self.admin, now)), 4)

    def test_a_link_past_its_end_is_not_listed(self):
        later = timezone.now() + timedelta(days=5)
        self.assertEqual(
            [link.name for link in listed_links(self.alice, later)], ["Two videos", "Project"]
        )
        self.assertEqual(facts(listed_links(self.alice, later)), self.expected(self.alice, later))

    def test_an_inactive_admin_sees_only_their_own(self):
        self.admin.is_active = False
        self.assertEqual(listed_links(self.admin), [])

    def test_each_row_links_its_page_and_its_revoke_as_url_did(self):
        self.client.force_login(self.admin)
        page = self.client.get(reverse("reviewlinks:index"))
        for link in ReviewLink.objects.live():
            detail = reverse("reviewlinks:detail", args=[link.pk])
            revoke = reverse("reviewlinks:revoke", args=[link.pk])
            self.assertContains(page, f'<a href="{detail}">{link.name}</a>'.replace("'", "&#x27;"))
            self.assertContains(page, f'<form method="post" action="{revoke}" class="inline">')
        self.assertContains(page, "<td>alice</td>")
        self.assertContains(page, "Project “Launch &amp; &lt;co&gt;”")
        self.assertContains(page, "2 videos")
        self.assertContains(page, "0 videos")
