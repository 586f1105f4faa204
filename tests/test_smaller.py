"""Issue 25's "Smaller" items, each as a person meets it: the admin's Usage opens on the
team, its chart has dollar values on its axis, the header's pill tells running from
waiting, a job's History grows while its page is open and keeps CometAPI's task id folded
for admins only, a job cancelled before it was sent says "Cancelled", and the Django admin
lists the studio's settings once."""

import re

from django.urls import reverse
from django.utils import timezone

from billing.models import StudioSettings
from generations.models import Generation, Status
from reports.usage import axis_top
from tests.helpers import StudioTestCase, make_generation, make_user, swaps

POLL_URL = reverse("generations:poll")


def send(job: Generation, task_id: str = "task_7f3a9c") -> Generation:
    """The worker's first step on `job`: CometAPI accepted it."""
    Generation.objects.filter(pk=job.pk).update(submit_started_at=timezone.now())
    job.refresh_from_db()
    job.mark_submitted(task_id)
    job.save()
    return job


class UsageTests(StudioTestCase):
    def test_an_admin_lands_on_the_team_s_month_and_can_still_open_their_own(self):
        carol = make_user("carol", is_staff=True)
        self.client.force_login(carol)

        page = self.client.get(reverse("billing:usage"))

        self.assertContains(page, "<h1>Usage — the team</h1>", html=True)
        self.assertContains(page, '<a href="?person=team" aria-current="page">Team</a>', html=True)
        own = self.client.get(reverse("billing:usage"), {"person": carol.pk})
        self.assertContains(own, "<h1>Usage</h1>", html=True)
        self.assertContains(
            own, f'<a href="?person={carol.pk}" aria-current="page">carol</a>', html=True
        )

    def test_a_member_still_lands_on_their_own_month(self):
        page = self.client.get(reverse("billing:usage"))

        self.assertContains(page, "<h1>Usage</h1>", html=True)
        self.assertNotContains(page, "the team")

    def test_the_day_chart_has_dollar_values_on_its_axis(self):
        page = self.client.get(reverse("billing:usage")).content.decode()

        start = page.index('<svg class="chart"')
        chart = page[start : page.index("</svg>", start)]
        values = re.findall(r'<text[^>]*class="tick value"[^>]*>([^<]+)</text>', chart)
        self.assertEqual(values, ["$0.00", "$0.50", "$1.00"])  # an empty month: a $1 scale

    def test_the_axis_tops_at_a_round_amount_at_or_above_the_highest_day(self):
        from decimal import Decimal as D

        self.assertEqual(axis_top(D("0")), D("1"))
        self.assertEqual(axis_top(D("0.64")), D("1"))
        self.assertEqual(axis_top(D("1.20")), D("2"))
        self.assertEqual(axis_top(D("2.56")), D("5"))
        self.assertEqual(axis_top(D("7")), D("10"))
        self.assertEqual(axis_top(D("10")), D("10"))
        self.assertEqual(axis_top(D("31.5")), D("50"))


class JobsPillTests(StudioTestCase):
    def pill(self) -> str:
        page = self.client.get(reverse("generations:index")).content.decode()
        start = page.index('id="jobs-indicator"')
        html = page[start : page.index("</a>", start)]
        return " ".join(re.sub(r"<[^>]+>", " ", html.split(">", 1)[1]).split())

    def test_jobs_still_waiting_for_a_slot_are_counted_apart_from_running_ones(self):
        for _ in range(4):
            make_generation(self.alice)
        send(make_generation(self.alice))
        send(make_generation(self.alice), "task_2")

        self.assertEqual(self.pill(), "2 running · 4 waiting — open the gallery")

    def test_only_waiting_jobs_say_waiting_and_only_running_ones_say_running(self):
        job = make_generation(self.alice)
        self.assertEqual(self.pill(), "1 waiting — open the gallery")
        send(job)
        self.assertEqual(self.pill(), "1 running — open the gallery")

    def test_the_poll_redraws_the_pill_when_a_waiting_job_is_sent(self):
        job = make_generation(self.alice)
        send(job)

        answer = self.client.get(
            POLL_URL, {"watch": str(job.pk), "waiting": "1"}, headers={"HX-Request": "true"}
        )
        pill = swaps(answer)["jobs-indicator"]
        self.assertIn('data-waiting="0"', pill)
        self.assertIn('<span class="jobs-count">1</span>', pill)
        again = self.client.get(
            POLL_URL, {"watch": str(job.pk), "waiting": "0"}, headers={"HX-Request": "true"}
        )
        self.assertNotIn("jobs-indicator", swaps(again))  # nothing changed: nothing redrawn


class HistoryTests(StudioTestCase):
    def test_the_open_page_s_history_grows_through_the_page_s_poll(self):
        job = make_generation(self.alice)
        page = self.client.get(job.get_absolute_url()).content.decode()
        marker = re.search(r'data-poll="(history:[^"]+)"', page)
        assert marker is not None, "the History is not polled"

        send(job)
        answer = self.client.get(POLL_URL, {"v": marker.group(1)}, headers={"HX-Request": "true"})

        history = swaps(answer)[f"history-{job.pk}"]
        self.assertIn("Created", history)
        self.assertIn("Sent to CometAPI", history)
        self.assertIn("data-poll=", history)  # still running: still polled

    def test_a_finished_job_s_history_is_no_longer_polled(self):
        job = send(make_generation(self.alice))
        job.mark_failed("Veo could not make this video: blocked.", "task:failed")
        job.save()

        page = self.client.get(job.get_absolute_url()).content.decode()

        history = page[page.index('class="history"') :]
        self.assertNotIn("data-poll=", history[: history.index("</section>")])

    def test_the_cometapi_task_id_is_folded_away_for_admins_and_not_shown_to_the_maker(self):
        job = send(make_generation(self.alice), "task_7f3a9c")

        mine = self.client.get(job.get_absolute_url()).content.decode()
        self.assertIn("Sent to CometAPI", mine)
        self.assertNotIn("task_7f3a9c", mine)

        self.assertTrue(job.share_for(self.alice))
        carol = make_user("carol", is_staff=True)
        self.client.force_login(carol)
        seen = self.client.get(job.get_absolute_url())
        self.assertContains(
            seen,
            '<details class="task-ref"><summary>CometAPI task id</summary>'
            "<code>task_7f3a9c</code></details>",
            html=True,
        )


class CancelledTests(StudioTestCase):
    def test_a_job_cancelled_before_it_was_sent_says_cancelled_not_failed(self):
        job = make_generation(self.alice)
        self.assertTrue(job.cancel_for(self.alice))
        job.refresh_from_db()

        self.assertEqual(job.status, Status.FAILED)  # counted with the failed, as before
        self.assertEqual(job.get_status_display(), "Cancelled")
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, '<h2 class="status-title">Cancelled</h2>', html=True)
        card = self.client.get(reverse("generations:index")).content.decode()
        self.assertIn('<span class="badge">Cancelled</span>', card)
        # Drawn as nothing gone wrong: not in a failure's red (static/css/app.css).
        self.assertIn(f'class="tile status-failed is-cancelled" id="card-{job.pk}"', card)
        self.assertContains(page, "status-card status-failed is-cancelled")

    def test_a_job_that_really_failed_still_says_failed(self):
        job = send(make_generation(self.alice))
        job.mark_failed("Veo could not make this video: blocked.", "task:failed")
        job.save()

        self.assertEqual(job.get_status_display(), "Failed")
        card = self.client.get(reverse("generations:index")).content.decode()
        self.assertIn(f'class="tile status-failed" id="card-{job.pk}"', card)


class DjangoAdminTests(StudioTestCase):
    def test_the_admin_lists_the_studio_settings_once(self):
        carol = make_user("carol", is_staff=True, is_superuser=True)
        self.client.force_login(carol)

        index = self.client.get(reverse("admin:index")).content.decode()
        self.assertEqual(index.count(">Studio settings</a>"), 1, index)
        rows = self.client.get(reverse("admin:billing_studiosettings_changelist"))
        # One row: the list opens it rather than naming "Studio settings" twice.
        self.assertRedirects(rows, reverse("admin:billing_studiosettings_change", args=[1]))
        form = self.client.get(rows["Location"])
        self.assertContains(form, "Team concurrency")
        self.assertEqual(StudioSettings.objects.count(), 1)
