"""A member who opens an admin page (a bookmark, a shared link) gets the studio's own 403
page in a plain sentence, and the log gets one line, not a traceback."""

import logging

from django.test import TestCase
from django.urls import reverse

from .helpers import make_user

ADMIN_PAGES = [
    ("billing:team", ()),
    ("billing:audit", ()),
    ("billing:audit_csv", ()),
    ("billing:usage_csv", ()),
    ("billing:usage_projects_csv", ()),
    ("billing:quota", ()),
    ("billing:prices", ()),
    ("generations:studio_settings", ()),
    ("billing:team_deactivate", ("bob",)),
    ("billing:team_videos", ("bob",)),
]
ADMIN_POSTS = [
    ("billing:team_add", ()),
    ("billing:team_settings", ()),
    ("billing:team_member", ("bob",)),
    ("billing:team_link", ("bob",)),
    ("billing:team_link_done", ()),
    ("billing:team_deactivate", ("bob",)),
]


class AdminPagesTests(TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.carol = make_user("carol")
        self.carol.first_name, self.carol.is_staff = "Carol", True
        self.carol.save()
        self.client.force_login(self.alice)

    def url(self, name, args):
        return reverse(name, args=[getattr(self, arg).pk for arg in args])

    def test_a_member_gets_a_styled_403_in_plain_words_and_no_traceback_is_logged(self):
        for method, pages in (("get", ADMIN_PAGES), ("post", ADMIN_POSTS)):
            for name, args in pages:
                with self.subTest(method=method, page=name):
                    with self.assertLogs("django.request", logging.WARNING) as logs:
                        response = getattr(self.client, method)(self.url(name, args))
                    self.assertContains(
                        response, "This page is for the studio's admins", status_code=403
                    )
                    self.assertContains(response, "ask Carol", status_code=403)
                    self.assertContains(response, 'class="topbar"', status_code=403)
                    self.assertEqual([r.exc_info for r in logs.records], [None])
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.is_active)

    def test_admins_open_them(self):
        self.client.force_login(self.carol)
        for name, args in ADMIN_PAGES:
            if name in ("billing:team_videos", "billing:quota"):
                continue  # bob is active (404 by design); the quota asks CometAPI
            with self.subTest(page=name):
                self.assertEqual(self.client.get(self.url(name, args)).status_code, 200)

    def test_the_people_link_is_only_in_an_admins_menu(self):
        self.assertNotContains(self.client.get(reverse("generations:index")), 'href="/people/"')
        self.client.force_login(self.carol)
        self.assertContains(self.client.get(reverse("generations:index")), 'href="/people/"')
