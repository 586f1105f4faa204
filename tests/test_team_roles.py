"""Roles: an admin does everything, a member makes videos within the caps and manages their
own, a reviewer watches, downloads, stars and comments and is refused (and offered)
nothing else. Roles are set on the People page and audited."""

from django.urls import reverse
from django.utils import timezone

from billing.models import AuditEntry, LedgerEntry
from generations.access import is_reviewer, may_generate
from generations.models import Comment, Generation, Project, Role, Teammate

from .helpers import StudioTestCase, body, make_ready_generation, make_user, valid_data


class WhoIsAReviewerTests(StudioTestCase):
    def test_everyone_starts_a_member_and_an_admin_is_never_a_reviewer(self):
        admin = make_user("boss", is_staff=True)
        self.assertFalse(is_reviewer(self.alice))
        self.assertTrue(may_generate(self.alice))
        Teammate.set_role(admin, Role.REVIEWER)  # a stale row: the staff flag wins
        self.assertFalse(is_reviewer(admin))
        self.assertTrue(may_generate(admin))

    def test_a_reviewer_may_not_generate(self):
        Teammate.set_role(self.bob, Role.REVIEWER)
        self.assertTrue(is_reviewer(self.bob))
        self.assertFalse(may_generate(self.bob))


class ReviewerTests(StudioTestCase):
    """Rita reviews; she made one video and one project back when she was a member."""

    def setUp(self):
        super().setUp()
        self.rita = make_user("rita")
        self.hers = make_ready_generation(self.rita, prompt="Rita's old take")
        self.her_project = Project.objects.create(name="Rita's old project", created_by=self.rita)
        self.shared = make_ready_generation(self.alice, prompt="Alice's shared bottle")
        self.shared.share_for(self.alice)
        Teammate.set_role(self.rita, Role.REVIEWER)
        self.client.force_login(self.rita)

    def test_making_a_video_is_refused_with_a_friendly_403(self):
        for response in (
            self.client.get(reverse("generations:create")),
            self.client.post(reverse("generations:create"), valid_data()),
            self.client.get(reverse("generations:make_another", args=[self.shared.pk])),
            self.client.post(reverse("generations:first_frame_preview")),
        ):
            self.assertEqual(response.status_code, 403)
            self.assertContains(response, "Reviewers watch and comment", status_code=403)
            self.assertContains(response, "ask", status_code=403)
        self.assertEqual(Generation.objects.count(), 2)
        self.assertEqual(LedgerEntry.objects.filter(person=self.rita).count(), 1)  # the old one

    def test_her_own_old_video_cannot_be_changed_any_more(self):
        before = (self.hers.shared_at, self.hers.project_id, self.hers.trashed_at)
        for name in ("share", "unshare", "delete", "submit_again", "check_again", "move"):
            response = self.client.post(reverse(f"generations:{name}", args=[self.hers.pk]))
            self.assertEqual(response.status_code, 404, name)
        bulk = {"ids": [str(self.hers.pk)]}
        for url, data in (
            (reverse("generations:selection"), {**bulk, "action": "trash"}),
            (reverse("generations:selection"), {**bulk, "action": "move", "project": ""}),
            (reverse("generations:share_many"), {**bulk, "action": "share"}),
        ):
            self.assertEqual(self.client.post(url, data).status_code, 403, data)
        self.hers.refresh_from_db()
        self.assertEqual((self.hers.shared_at, self.hers.project_id, self.hers.trashed_at), before)

    def test_projects_are_neither_made_nor_changed_by_a_reviewer(self):
        made = self.client.post(reverse("generations:projects"), {"name": "Mine", "colour": "blue"})
        self.assertEqual(made.status_code, 403)
        for name in ("project_edit", "project_archive", "project_budget"):
            url = reverse(f"generations:{name}", args=[self.her_project.pk])
            self.assertEqual(self.client.post(url, {"name": "Renamed"}).status_code, 404, name)
        self.assertEqual(Project.objects.count(), 1)
        self.assertEqual(Project.objects.get().name, "Rita's old project")

    def test_she_watches_downloads_stars_and_comments(self):
        page = self.client.get(self.shared.get_absolute_url())
        download = self.client.get(reverse("generations:download", args=[self.shared.pk]))
        star = self.client.post(
            reverse("generations:star", args=[self.shared.pk]), {"starred": "1"}
        )
        comment = self.client.post(
            reverse("generations:comments", args=[self.shared.pk]), {"body": "Love the light"}
        )
        zipped = self.client.get(reverse("generations:zip"), {"ids": [str(self.shared.pk)]})

        self.assertContains(page, "Alice&#x27;s shared bottle")
        self.assertEqual(download.status_code, 200)
        self.assertTrue(body(download).startswith(b"\x00\x00\x00"))
        self.assertIn(star.status_code, (200, 302))
        self.assertTrue(self.shared.is_starred_by(self.rita))
        self.assertIn(comment.status_code, (200, 302))
        self.assertTrue(Comment.objects.filter(author=self.rita, body="Love the light").exists())
        self.assertEqual(zipped.status_code, 200)

    def test_her_pages_offer_nothing_she_cannot_do(self):
        pages = {
            "gallery": self.client.get(reverse("generations:index")),
            "team": self.client.get(reverse("generations:team")),
            "shared video": self.client.get(self.shared.get_absolute_url()),
            "her video": self.client.get(self.hers.get_absolute_url()),
            "projects": self.client.get(reverse("generations:projects")),
            "her project": self.client.get(self.her_project.get_absolute_url()),
        }
        for label, page in pages.items():
            html = page.content.decode()
            self.assertEqual(page.status_code, 200, label)
            self.assertNotIn(reverse("generations:create"), html, label)
            for words in (
                "Make another",
                "Try again",
                "Share with the team",
                "Move to project",
                "Move to Trash",
                ">Delete<",
                "Edit project",
                "Save budget",
                "Make the project",
            ):
                self.assertNotIn(words, html, f"{label}: {words}")
        self.assertContains(pages["gallery"], "Reviewer")
        self.assertContains(pages["shared video"], "Download MP4")
        self.assertContains(pages["shared video"], "What do you think of it?")

    def test_a_page_kept_for_a_member_is_drawn_afresh_once_she_is_a_reviewer(self):
        Teammate.set_role(self.rita, Role.MEMBER)
        as_member = self.client.get(self.shared.get_absolute_url())
        Teammate.set_role(self.rita, Role.REVIEWER)
        as_reviewer = self.client.get(self.shared.get_absolute_url())
        self.assertContains(as_member, "Make another like this")
        self.assertNotContains(as_reviewer, "Make another like this")


class RolesOnThePeoplePageTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.admin = make_user("boss", is_staff=True)
        self.client.force_login(self.admin)

    def save_role(self, person, role):
        url = reverse("billing:team_member", args=[person.pk])
        prefix = f"m{person.pk}"
        return self.client.post(
            url, {f"{prefix}-concurrency": "2", f"{prefix}-role": role}, follow=True
        )

    def test_an_admin_makes_someone_a_reviewer_and_back_and_each_change_is_audited(self):
        page = self.client.get(reverse("billing:team"))
        self.assertContains(page, f'id="role-{self.bob.pk}"')
        self.assertContains(page, '<option value="member" selected>Member</option>')

        self.save_role(self.bob, "reviewer")
        self.assertTrue(is_reviewer(type(self.bob).objects.get(pk=self.bob.pk)))
        self.save_role(self.bob, "admin")
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.is_staff)
        self.save_role(self.bob, "member")
        self.bob.refresh_from_db()
        self.assertFalse(self.bob.is_staff or is_reviewer(self.bob))

        details = list(
            AuditEntry.objects.filter(action="role_changed", subject=self.bob)
            .order_by("pk")
            .values_list("detail", flat=True)
        )
        self.assertEqual(
            details,
            [
                "made reviewer (was member)",
                "made admin (was reviewer)",
                "made member (was admin)",
            ],
        )
        self.assertTrue(
            AuditEntry.objects.filter(action="role_changed", actor=self.admin).count() == 3
        )

    def test_saving_the_same_role_records_nothing(self):
        self.save_role(self.bob, "member")
        self.assertFalse(AuditEntry.objects.filter(action="role_changed").exists())

    def test_a_teammate_is_added_as_a_reviewer(self):
        self.client.post(reverse("billing:team_add"), {"username": "rita", "role": "reviewer"})
        rita = type(self.bob).objects.get(username="rita")
        self.assertTrue(is_reviewer(rita))
        entry = AuditEntry.objects.get(action="added_teammate")
        self.assertIn("reviewer", entry.detail)

    def test_an_admin_cannot_make_themselves_a_reviewer(self):
        page = self.save_role(self.admin, "reviewer")
        self.assertContains(page, "You cannot remove your own admin role.")
        self.admin.refresh_from_db()
        self.assertTrue(self.admin.is_staff)

    def test_a_reviewer_s_session_sees_the_change_on_the_next_page(self):
        self.save_role(self.alice, "reviewer")
        self.client.force_login(self.alice)
        page = self.client.get(reverse("generations:index"))
        self.assertNotContains(page, reverse("generations:create") + '"')
        self.assertContains(page, "Reviewer")


class ExistingPeopleAreMembersTests(StudioTestCase):
    def test_without_a_role_row_everyone_makes_videos_as_before(self):
        self.assertFalse(Teammate.objects.exists())
        page = self.client.get(reverse("generations:index"))
        self.assertContains(page, "New video")
        response = self.client.post(reverse("generations:create"), valid_data())
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Generation.objects.get().created_at.date(), timezone.now().date())
