"""Deactivating someone finishes the job: it asks first, logs them out everywhere for good,
stops their set-password links, cancels their waiting jobs for free, and lets an admin see
and hand over their videos with the history kept."""

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse

from billing.models import AuditEntry, LedgerEntry
from generations.models import EventKind, Generation, Status
from reports import usage

from .helpers import PASSWORD, make_generation, make_ready_generation, make_user

User = get_user_model()


class DeactivationTestCase(TestCase):
    def setUp(self):
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.carol = make_user("carol", is_staff=True)
        self.client.force_login(self.carol)

    def logged_in_browser(self, username):
        """Another browser, logged in through the log-in page (a session row of its own)."""
        browser = self.client_class()
        answer = browser.post(reverse("login"), {"username": username, "password": PASSWORD})
        self.assertEqual(answer.status_code, 302)
        return browser

    def deactivate(self, person):
        return self.client.post(reverse("billing:team_deactivate", args=[person.pk]), follow=True)

    def reactivate(self, person):
        self.client.post(reverse("billing:team_member", args=[person.pk]), {"action": "reactivate"})


class AsksFirstTests(DeactivationTestCase):
    def test_the_people_page_asks_and_says_what_will_happen(self):
        make_generation(self.alice)  # waiting in the app
        people = self.client.get(reverse("billing:team"))
        confirm_url = reverse("billing:team_deactivate", args=[self.alice.pk])
        self.assertContains(people, f'href="{confirm_url}"')
        page = self.client.get(confirm_url)
        self.assertContains(page, "Deactivate alice?")
        self.assertContains(page, "logs them out on every computer and phone at once")
        self.assertContains(page, "cancels their 1 video still waiting to be sent, for free")
        self.alice.refresh_from_db()
        self.assertTrue(self.alice.is_active)


class FinishesTheJobTests(DeactivationTestCase):
    def test_an_old_cookie_does_not_work_after_reactivation(self):
        browser = self.logged_in_browser("alice")
        self.assertEqual(browser.get(reverse("generations:index")).status_code, 200)

        self.deactivate(self.alice)
        self.reactivate(self.alice)

        response = browser.get(reverse("generations:index"))
        self.assertRedirects(
            response,
            f"{reverse('login')}?next={reverse('generations:index')}",
            fetch_redirect_response=False,
        )

    def test_other_peoples_sessions_survive(self):
        browser = self.logged_in_browser("bob")
        self.deactivate(self.alice)
        self.assertEqual(browser.get(reverse("generations:index")).status_code, 200)

    @override_settings(EMAIL_HOST_CONFIGURED=False)
    def test_an_unused_set_password_link_dies_and_stays_dead_after_reactivation(self):
        page = self.client.post(reverse("billing:team_link", args=[self.alice.pk]), follow=True)
        link = page.context["invite"]["link"]
        self.deactivate(self.alice)
        visitor = self.client_class()
        self.assertContains(visitor.get(link, follow=True), "This link no longer works")
        self.reactivate(self.alice)
        self.assertContains(visitor.get(link, follow=True), "This link no longer works")

    def test_waiting_jobs_are_cancelled_for_free_through_the_cancel_path(self):
        waiting = make_generation(self.alice)
        self.assertEqual(
            LedgerEntry.objects.open_reservations().filter(person=self.alice).count(), 1
        )

        page = self.deactivate(self.alice)

        self.assertContains(page, "1 waiting job cancelled for free")
        waiting.refresh_from_db()
        self.assertEqual((waiting.status, waiting.error_code), (Status.FAILED, "cancelled"))
        event = waiting.events.get(kind=EventKind.CANCELLED)
        self.assertEqual(event.actor, self.carol)
        self.assertFalse(LedgerEntry.objects.open_reservations().filter(person=self.alice).exists())
        month = usage.month(self.alice)
        self.assertEqual((month.spent, month.reserved), (0, 0))

    def test_a_job_already_being_sent_is_left_to_finish(self):
        sending = make_generation(self.alice)
        sending.note_submit_started()
        sending.save()
        self.deactivate(self.alice)
        sending.refresh_from_db()
        self.assertEqual(sending.status, Status.WAITING)

    def test_it_is_audited_with_what_it_did(self):
        self.logged_in_browser("alice")
        make_generation(self.alice)
        self.deactivate(self.alice)
        entry = AuditEntry.objects.get(action="deactivated")
        self.assertEqual((entry.actor, entry.subject), (self.carol, self.alice))
        self.assertIn("ended 1 session(s), cancelled 1 waiting job(s) for free", entry.detail)


class HandOverTests(DeactivationTestCase):
    def setUp(self):
        super().setUp()
        self.private = make_ready_generation(self.alice, prompt="A private fox at dawn")
        self.shared = make_ready_generation(self.alice, prompt="A shared heron")
        self.shared.share_for(self.alice)
        self.deactivate(self.alice)

    def videos_page(self):
        return reverse("billing:team_videos", args=[self.alice.pk])

    def test_an_admin_sees_a_switched_off_persons_videos_private_ones_included(self):
        page = self.client.get(self.videos_page())
        self.assertContains(page, "A private fox at dawn")
        self.assertContains(page, "A shared heron")

    def test_members_cannot_see_that_list(self):
        self.client.force_login(self.bob)
        self.assertContains(self.client.get(self.videos_page()), "for the studio", status_code=403)

    def test_handing_over_a_selection_keeps_history_and_privacy(self):
        response = self.client.post(
            self.videos_page(), {"to": self.bob.pk, "ids": [str(self.private.pk)]}, follow=True
        )
        self.assertContains(response, "Handed 1 video over to bob.")
        self.private.refresh_from_db()
        self.shared.refresh_from_db()
        self.assertEqual((self.private.owner, self.shared.owner), (self.bob, self.alice))
        self.assertIsNone(self.private.shared_at)  # private, now to bob
        kinds = list(self.private.history.values_list("kind", flat=True))
        self.assertEqual(kinds[0], EventKind.CREATED)  # the history is still there
        self.assertEqual(kinds[-1], EventKind.HANDED_OVER)
        event = self.private.history.last()
        self.assertEqual((event.actor, event.reason), (self.carol, "From alice to bob."))
        entry = AuditEntry.objects.get(action="handed_over")
        self.assertEqual((entry.actor, entry.subject), (self.carol, self.alice))
        self.assertIn("from alice to bob", entry.detail)

        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.private.get_absolute_url()).status_code, 200)

    def test_handing_over_everything_and_money_stays_with_the_maker(self):
        spent_before = list(LedgerEntry.objects.filter(person=self.alice).values_list("pk"))
        self.client.post(self.videos_page(), {"to": self.bob.pk, "everything": "on"})
        self.assertEqual(Generation.objects.filter(owner=self.bob).count(), 2)
        self.assertEqual(
            list(LedgerEntry.objects.filter(person=self.alice).values_list("pk")), spent_before
        )
        self.assertIsNotNone(Generation.objects.get(pk=self.shared.pk).shared_at)
        audit_page = self.client.get(reverse("billing:audit"))
        self.assertContains(audit_page, "handed over")

    def test_nothing_chosen_or_nobody_chosen_says_so_and_moves_nothing(self):
        page = self.client.post(self.videos_page(), {"to": self.bob.pk})
        self.assertContains(page, "Tick the videos to hand over", status_code=400)
        page = self.client.post(self.videos_page(), {"everything": "on"})
        self.assertContains(page, "Please choose who gets the videos.", status_code=400)
        self.assertEqual(Generation.objects.filter(owner=self.alice).count(), 2)

    def test_an_active_persons_videos_are_not_listed(self):
        url = reverse("billing:team_videos", args=[self.bob.pk])
        self.assertEqual(self.client.get(url).status_code, 404)


class DjangoAdminTests(DeactivationTestCase):
    def test_unticking_active_in_the_django_admin_ends_the_sessions_too(self):
        browser = self.logged_in_browser("alice")
        self.alice.is_active = False
        self.alice.save()  # as the admin's change form does
        self.alice.is_active = True
        self.alice.save()
        response = browser.get(reverse("generations:index"))
        self.assertRedirects(
            response,
            f"{reverse('login')}?next={reverse('generations:index')}",
            fetch_redirect_response=False,
        )
