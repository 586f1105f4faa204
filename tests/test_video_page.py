"""The video's page: settings, timings, file facts, history, neighbours, names, retrying."""

import uuid
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from generations import wording
from generations.models import EventKind, Project, Status
from tests.helpers import StudioTestCase, make_generation, make_ready_generation, make_user
from veo.catalogue import Size


class DetailPageTests(StudioTestCase):
    def test_it_shows_the_full_prompt_with_copy_and_the_file_facts(self):
        video = make_ready_generation(self.alice, prompt="Line one\nLine two of the prompt")

        response = self.client.get(video.get_absolute_url())

        self.assertContains(response, "Line one<br>Line two of the prompt")
        self.assertContains(response, 'data-copy="#prompt-text"')
        self.assertContains(response, f"({video.video_bytes} bytes), 320×180")
        self.assertContains(response, "Total")
        self.assertContains(response, "Make another like this")

    def test_previous_and_next_follow_the_list_the_user_came_from(self):
        start = timezone.now() - timedelta(hours=1)
        kites = [
            make_generation(self.alice, prompt=f"Kite {n}", created_at=start + timedelta(minutes=n))
            for n in range(3)
        ]
        make_generation(
            self.alice, prompt="Boat", created_at=start + timedelta(minutes=1, seconds=30)
        )

        response = self.client.get(kites[1].get_absolute_url(), {"list": "q=kite"})

        self.assertEqual(response.context["previous"], kites[2])  # newest first
        self.assertEqual(response.context["next"], kites[0])
        oldest_first = self.client.get(kites[1].get_absolute_url(), {"list": "q=kite&sort=oldest"})
        self.assertEqual(oldest_first.context["previous"], kites[0])
        self.assertEqual(oldest_first.context["next"], kites[2])

    def test_takes_and_remakes_count_only_what_the_viewer_may_watch(self):
        group = uuid.uuid4()
        now = timezone.now()
        takes = [
            make_ready_generation(self.alice, prompt=f"Take {n}", take_group=group, take_number=n)
            for n in (1, 2, 3, 4)
        ]
        takes[0].shared_at = takes[1].shared_at = takes[2].shared_at = now
        takes[2].trashed_at = now  # shared, then moved to the Trash: gone for the team
        for take in takes:
            take.save()
        make_ready_generation(self.alice, prompt="Private remake", made_from=takes[0])
        make_ready_generation(self.alice, prompt="Shared remake", made_from=takes[0], shared_at=now)

        own = self.client.get(takes[0].get_absolute_url())
        self.client.force_login(self.bob)
        teammate = self.client.get(takes[0].get_absolute_url())

        self.assertContains(own, "Take 1 of 4")
        self.assertContains(own, "Private remake")
        self.assertContains(own, "Shared remake")
        self.assertContains(teammate, "Take 1 of 2")
        self.assertNotContains(teammate, "Private remake")
        self.assertContains(teammate, "Shared remake")

    def test_a_teammate_outside_a_limited_project_counts_none_of_its_takes(self):
        # The takes are counted from their own rows (video_page.takes_seen): the project's
        # rule must hold there as on the page's own door.
        carol = make_user("carol")
        group, now = uuid.uuid4(), timezone.now()
        board = Project.objects.create(name="Board cut", created_by=self.alice, limited=True)
        board.members.add(carol)
        open_one, _ = (
            make_ready_generation(
                self.alice, prompt=f"Take {n}", take_group=group, take_number=n, shared_at=now
            )
            for n in (1, 2)
        )
        for n in (3, 4):
            make_ready_generation(
                self.alice, prompt=f"Take {n}", take_group=group, take_number=n, project=board
            )

        self.client.force_login(carol)
        member = self.client.get(open_one.get_absolute_url())
        self.client.force_login(self.bob)
        outsider = self.client.get(open_one.get_absolute_url())

        self.assertContains(member, "Take 1 of 4")
        self.assertContains(outsider, "Take 1 of 2")

    def test_previous_and_next_skip_a_limited_project_the_teammate_is_not_in(self):
        # The whole list's neighbours are prepared queries (TEAM_NEIGHBOUR): they hold the
        # project rule for the viewer, as the Team view does.
        start = timezone.now() - timedelta(hours=1)
        board = Project.objects.create(name="Board cut", created_by=self.alice, limited=True)
        older, hidden, newer = (
            make_ready_generation(
                self.alice, prompt=f"Shot {n}", created_at=start + timedelta(minutes=n), **extra
            )
            for n, extra in enumerate(
                [{"shared_at": start}, {"project": board}, {"shared_at": start}]
            )
        )

        self.client.force_login(self.bob)
        page = self.client.get(older.get_absolute_url())
        self.assertEqual(page.context["previous"].pk, newer.pk)
        self.assertEqual(self.client.get(hidden.get_absolute_url()).status_code, 404)
        self.client.force_login(self.alice)
        own = self.client.get(older.get_absolute_url())
        self.assertEqual(own.context["previous"].pk, hidden.pk)


class DownloadNameTests(StudioTestCase):
    def test_the_download_is_named_by_date_words_duration_and_format(self):
        with time_machine.travel("2026-11-25 10:00Z"):
            video = make_ready_generation(
                self.alice, prompt="Paper kite over a field!", size=Size.LANDSCAPE_1080
            )

        response = self.client.get(reverse("generations:download", args=[video.pk]))

        self.assertEqual(
            response["Content-Disposition"],
            'attachment; filename="2026-11-25_paper-kite-over-a-field_4s_1080p.mp4"',
        )

    def test_names_are_ascii_at_most_60_characters_and_fall_back_to_an_id(self):
        when = timezone.now()
        long = wording.download_name(when, "Ça va? " + "très long mot " * 20, 8, "4k", "ab-cd")
        slug = long.split("_")[1]
        self.assertTrue(long.isascii())
        self.assertLessEqual(len(slug), 60)
        self.assertTrue(slug.startswith("ca-va-tres-long-mot"))
        self.assertFalse(slug.endswith("-"))
        nothing = wording.download_name(when, "日本語 ★ !!!", 4, "720p", "1234abcd-ffff")
        self.assertIn("_1234abcd_4s_720p.mp4", nothing)
        for bad in '<>:"/\\|?*':
            self.assertNotIn(bad, long + nothing)


class TryAgainTests(StudioTestCase):
    def test_a_retried_job_keeps_the_failure_in_its_history_and_its_clock_restarts(self):
        with time_machine.travel(timezone.now() - timedelta(minutes=30)):
            job = make_generation(self.alice)
            job.mark_submitted("task_1")
            job.mark_failed("CometAPI kept having server problems.", "server:500")
            job.save()

        self.client.post(reverse("generations:submit_again", args=[job.pk]))

        job.refresh_from_db()
        self.assertEqual(job.status, Status.WAITING)
        self.assertLess(job.elapsed, timedelta(minutes=1))
        kinds = list(job.history.values_list("kind", flat=True))
        self.assertEqual(
            kinds, [EventKind.CREATED, EventKind.SUBMITTED, EventKind.FAILED, EventKind.SENT_AGAIN]
        )
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "CometAPI kept having server problems.")
        self.assertContains(page, "Sent again</strong> by alice")

    def test_a_timed_out_job_can_be_tried_again_on_the_same_card(self):
        job = make_generation(self.alice)
        job.mark_timed_out()
        job.save()

        self.assertContains(self.client.get(job.get_absolute_url()), "Try again (a new paid job)")
        self.client.post(reverse("generations:submit_again", args=[job.pk]))

        job.refresh_from_db()
        self.assertEqual(job.status, Status.WAITING)

    def test_where_retrying_cannot_help_it_offers_edit_and_try_again(self):
        for code in ("task:failed:safety_filter", "invalid:400", "forbidden:403"):
            with self.subTest(code):
                job = make_generation(self.alice)
                job.mark_failed("Refused.", code)
                job.save()

                response = self.client.get(job.get_absolute_url())

                self.assertContains(response, "Edit and try again")
                self.assertContains(response, reverse("generations:make_another", args=[job.pk]))
                self.assertNotContains(response, "Try again (a new paid job)")
