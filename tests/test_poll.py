"""A page makes one status request per interval, whatever the number of running jobs: htmx
asks, the answer swaps in (out of band) only what changed, and says when nothing runs."""

import uuid
from datetime import timedelta
from unittest.mock import patch

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from generations import slots
from generations.models import Generation, Status
from generations.polling import (
    POLL_EVERY_MS,
    POLL_HIDDEN_EVERY_MS,
    POLL_LIMIT,
    POLL_URL_LIMIT,
    POLL_VIEW_LETTERS,
    WATCHED_LETTER,
)
from generations.views.poll import POLL_PARTIALS, WAIT_LINES
from harness.harness import POLL_LETTERS, base36, poll_path, short_id
from harness.harness import WATCHED_LETTER as HARNESS_WATCHED_LETTER
from tests.helpers import (
    StudioTestCase,
    events,
    make_generation,
    make_ready_generation,
    swaps,
)

POLL_URL = reverse("generations:poll")


def running_jobs(owner, count: int, **fields) -> list[Generation]:
    """`count` jobs of `owner` rendering at CometAPI, made at once (a busy team's gallery)."""
    now = timezone.now()
    return Generation.objects.bulk_create(
        Generation(
            owner=owner,
            prompt=f"Busy video {n}: a harbour at dawn",
            status=Status.RENDERING,
            task_id=f"busy-{owner.pk}-{n}",
            submitted_at=now,
            next_action_at=now + timedelta(days=1),
            **fields,
        )
        for n in range(count)
    )


def seen(view: str, generation: Generation, version: int | None = None) -> str:
    shown = generation.card_version if view == "card" else generation.poll_version
    return f"{view}:{generation.pk}:{shown if version is None else version}"


class PollTests(StudioTestCase):
    def poll(self, *values: str):
        response = self.client.get(POLL_URL, {"v": list(values)}, headers={"HX-Request": "true"})
        self.assertIn(response.status_code, (200, 286))
        return {key: html for key, html in swaps(response).items() if key != "jobs-indicator"}

    def test_it_answers_nothing_when_nothing_changed(self):
        jobs = [make_generation(self.alice) for _ in range(3)]

        self.assertEqual(self.poll(*(seen("card", job) for job in jobs)), {})

    def test_it_answers_only_the_jobs_that_changed(self):
        quiet, moving = make_generation(self.alice), make_generation(self.alice)
        version = moving.card_version
        moving.mark_submitted("task_1")
        moving.save()

        fragments = self.poll(seen("card", quiet), seen("card", moving, version))

        self.assertEqual(list(fragments), [f"card-{moving.pk}"])
        self.assertIn(f'id="card-{moving.pk}"', fragments[f"card-{moving.pk}"])
        self.assertIn("data-poll=", fragments[f"card-{moving.pk}"])

    def test_a_job_that_ended_comes_back_without_a_poll_marker(self):
        job = make_generation(self.alice)
        version = job.poll_version
        ready = make_ready_generation(self.alice)
        job.mark_failed("Veo could not make this video: blocked.", "task:failed")
        job.save()

        fragments = self.poll(seen("status", job, version), seen("card", ready, 0))

        self.assertIn("Veo could not make this video", fragments[f"status-{job.pk}"])
        self.assertNotIn("data-poll=", fragments[f"status-{job.pk}"])
        self.assertNotIn("data-poll=", fragments[f"card-{ready.pk}"])

    def test_a_check_that_changes_nothing_on_a_card_redraws_only_the_video_page_s_status(self):
        job = make_generation(self.alice)
        job.mark_submitted("task_1")
        job.mark_progress(10, started=True)
        job.save()
        job.refresh_from_db()
        card, status = seen("card", job), seen("status", job)

        job.mark_progress(10, started=True)  # CometAPI: still rendering, nothing new
        job.save()

        self.assertEqual(list(self.poll(card, status)), [f"status-{job.pk}"])

    def test_another_person_s_jobs_are_never_answered(self):
        bobs = make_generation(self.bob)

        self.assertEqual(self.poll(seen("card", bobs, 0), seen("status", bobs, 0)), {})

    def test_the_very_same_poll_from_two_people_answers_each_what_they_may_see(self):
        job = make_generation(self.alice)
        shown = seen("card", job, 0)  # an old version: alice's page redraws the card

        self.assertEqual(list(self.poll(shown)), [f"card-{job.pk}"])
        self.client.force_login(self.bob)
        answer = self.client.get(POLL_URL, {"v": [shown]}, headers={"HX-Request": "true"})

        self.assertEqual(swaps(answer), {})
        self.assertEqual(events(answer), {"veostudio:gone": [f"card-{job.pk}"]})

    def test_it_reads_the_compact_form_poll_js_sends(self):
        quiet, moving = make_generation(self.alice), make_generation(self.alice)
        version = moving.card_version
        moving.mark_submitted("task_1")
        moving.save()
        # Each job once: its id in base64url, "c" and the card's version shown in base 36,
        # "w" as the header counts it.
        compact = (
            f"{short_id(quiet.pk.hex)}c{base36(quiet.card_version)}w"
            f".{short_id(moving.pk.hex)}wc{base36(version)}"
        )

        response = self.client.get(f"{POLL_URL}?jobs={compact}")

        self.assertEqual(list(swaps(response)), [f"card-{moving.pk}"])  # the header is right

    def test_the_compact_form_spelled_out(self):
        job = make_generation(self.alice, pk=uuid.UUID("00112233-4455-6677-8899-aabbccddeeff"))
        old_version = 1_000_000_007  # "GJDGXZ" in base 36

        response = self.client.get(f"{POLL_URL}?jobs=ABEiM0RVZneImaq7zN3u_wcGJDGXZw")

        self.assertEqual(list(swaps(response)), [f"card-{job.pk}"])
        self.assertEqual(base36(old_version), "GJDGXZ")
        self.assertEqual(
            poll_path([f"card:{job.pk}:{old_version}"], [str(job.pk)]),
            "/status/?jobs=ABEiM0RVZneImaq7zN3u_wwcGJDGXZ",
        )

    def test_the_header_s_jobs_not_on_the_page_go_by_their_id_and_w_alone(self):
        shown, elsewhere = make_generation(self.alice), make_generation(self.alice)

        response = self.client.get(
            poll_path([seen("card", shown)], [str(shown.pk), str(elsewhere.pk)])
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual(swaps(response), {})  # both in the header already: nothing to redraw

    def test_it_still_reads_what_a_page_opened_before_sent(self):
        quiet, moving = make_generation(self.alice), make_generation(self.alice)
        version = moving.card_version
        moving.mark_submitted("task_1")
        moving.save()
        tokens = [seen("card", quiet).replace(":", "."), f"card.{moving.pk}.{version}"]

        response = self.client.get(POLL_URL, {"v": " ".join(tokens)})

        self.assertEqual(list(swaps(response)), [f"card-{moving.pk}", "jobs-indicator"])

    def test_it_still_reads_the_form_before_the_compact_one(self):
        # A tab opened before the deploy keeps its poll.js: tokens apart by "_", the
        # header's ids in `watch`.
        quiet, moving = make_generation(self.alice), make_generation(self.alice)
        version = moving.card_version
        moving.mark_submitted("task_1")
        moving.save()
        tokens = [f"card.{quiet.pk.hex}.{quiet.card_version}", f"card.{moving.pk.hex}.{version}"]

        response = self.client.get(
            f"{POLL_URL}?v={'_'.join(tokens)}&watch={quiet.pk.hex}_{moving.pk.hex}"
        )

        self.assertEqual(list(swaps(response)), [f"card-{moving.pk}"])

    def test_the_page_the_server_and_the_bench_give_each_view_the_same_letter(self):
        self.assertEqual(set(POLL_VIEW_LETTERS), {*POLL_PARTIALS, *WAIT_LINES})
        letters = [*POLL_VIEW_LETTERS.values(), WATCHED_LETTER]
        self.assertEqual(len(set(letters)), len(letters))
        self.assertTrue(all(letter not in "0123456789-_" for letter in letters))
        self.assertEqual(
            (POLL_LETTERS, HARNESS_WATCHED_LETTER), (POLL_VIEW_LETTERS, WATCHED_LETTER)
        )
        make_generation(self.alice)

        page = self.client.get(reverse("generations:index"))

        self.assertContains(page, 'data-poll-letters="card:c status:s history:h wait-card:p')

    def test_htmx_s_poll_comes_without_the_headers_only_a_document_heeds(self):
        job = make_generation(self.alice)
        shown = {"v": [seen("card", job)]}

        fetched = self.client.get(POLL_URL, shown, headers={"HX-Request": "true"})
        opened = self.client.get(POLL_URL, shown)  # as a document: a link, a frame

        self.assertNotIn("Content-Security-Policy", fetched.headers)
        self.assertNotIn("X-Frame-Options", fetched.headers)
        self.assertIn("no-store", fetched.headers["Cache-Control"])
        self.assertEqual(fetched.headers["X-Content-Type-Options"], "nosniff")
        self.assertIn("Content-Security-Policy", opened.headers)
        self.assertEqual(opened.headers["X-Frame-Options"], "DENY")

    def test_malformed_values_are_ignored(self):
        job = make_generation(self.alice)

        fragments = self.poll(
            "card",
            "card:nope:1",
            f"evil:{job.pk}:0",
            f"card:{job.pk}:x",
            f"card.{job.pk}.1.2",
            f"card.{job.pk}",
            f"xcard.{job.pk.hex}.1_card.{job.pk.hex}.1x_wait-card{job.pk.hex}.1",
        )
        short = short_id(job.pk.hex)
        for compact in [
            f"{short}c",  # no version
            f"{short}z1",  # no such view
            f"{short[:-1]}c1",  # the id a character short
            f"{short}c1x",
            f"{short}.c1",
            "%%%",
        ]:
            with self.subTest(compact=compact):
                answer = self.client.get(f"{POLL_URL}?jobs={compact}")
                self.assertNotIn(f"card-{job.pk}", swaps(answer))
        # Whole, the same entry asks for the card (its version is another): it is redrawn.
        self.assertIn(f"card-{job.pk}", swaps(self.client.get(f"{POLL_URL}?jobs={short}c1")))
        self.assertEqual(fragments, {})

    def test_its_queries_do_not_grow_with_the_number_of_running_jobs(self):
        def queries_for(count: int) -> int:
            jobs = [make_generation(self.alice) for _ in range(count)]
            slots.forget_recent_plan()  # each poll reads the queue's order afresh
            with CaptureQueriesContext(connection) as captured:
                self.poll(*(seen("card", job, 0) for job in jobs))
            return len(captured)

        self.assertEqual(queries_for(1), queries_for(24))

    def test_a_poll_that_finds_nothing_changed_reads_only_the_versions(self):
        jobs = [make_generation(self.alice) for _ in range(24)]

        with CaptureQueriesContext(connection) as captured:
            self.assertEqual(self.poll(*(seen("card", job) for job in jobs)), {})

        # (The user is read with their role, joined: that read is the session's, not ours.)
        ours = [
            q["sql"]
            for q in captured
            if "generations_" in q["sql"] and not q["sql"].startswith('SELECT "auth_user"')
        ]
        self.assertEqual(len(ours), 1)  # the header's running jobs come in the same read
        self.assertNotIn("generations_comment", ours[0])
        self.assertNotIn("generations_favourite", ours[0])

    def test_an_anonymous_poll_is_sent_to_the_login_page(self):
        self.client.logout()

        response = self.client.get(POLL_URL)

        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_an_expired_session_sends_the_whole_page_to_the_login(self):
        self.client.logout()

        response = self.client.get(
            POLL_URL, headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
        )

        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["HX-Redirect"].startswith(reverse("login")))
        self.assertEqual(response.content, b"")

    def test_the_answer_is_286_once_nothing_on_the_page_or_in_the_header_runs(self):
        job = make_generation(self.alice)
        version = job.card_version
        self.assertEqual(
            self.client.get(POLL_URL, {"v": seen("card", job), "watch": str(job.pk)}).status_code,
            200,
        )
        job.mark_failed("Veo could not make this video: blocked.", "task:failed")
        job.save()

        response = self.client.get(
            POLL_URL, {"v": seen("card", job, version), "watch": str(job.pk)}
        )

        self.assertEqual(response.status_code, 286)
        self.assertNotIn("data-poll=", swaps(response)[f"card-{job.pk}"])

    def test_a_page_showing_nothing_keeps_polling_while_one_of_my_jobs_runs_elsewhere(self):
        job = make_generation(self.alice)

        response = self.client.get(POLL_URL, {"watch": str(job.pk)})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(swaps(response), {})  # the header already counts it


class TeamPollTests(StudioTestCase):
    def test_a_teammate_s_poll_answers_a_shared_running_job_and_drops_it_once_unshared(self):
        job = make_generation(self.bob)
        job.share_for(self.bob)
        version = job.card_version
        job.mark_submitted("task_1")
        job.save()

        answer = self.client.get(POLL_URL, {"v": [seen("card", job, version)]})
        self.assertIn(f"card-{job.pk}", swaps(answer))
        self.assertIn('By <span class="maker">bob</span>', swaps(answer)[f"card-{job.pk}"])
        self.assertEqual(events(answer), {})
        self.assertEqual(answer.status_code, 200)

        job.unshare_for(self.bob)
        answer = self.client.get(POLL_URL, {"v": [seen("card", job, version)]})

        self.assertEqual(swaps(answer), {})
        self.assertEqual(events(answer), {"veostudio:gone": [f"card-{job.pk}"]})
        self.assertEqual(answer.status_code, 286)  # nothing left here that alice may see


class PollNumbersTests(StudioTestCase):
    def test_the_page_gives_its_scripts_the_server_s_poll_numbers(self):
        make_generation(self.alice)

        page = self.client.get(reverse("generations:index"))

        self.assertContains(page, f'hx-get="{POLL_URL}" hx-trigger="every {POLL_EVERY_MS}ms')
        self.assertContains(page, f'data-poll-limit="{POLL_LIMIT}"')
        self.assertContains(page, f'data-poll-hidden-every-ms="{POLL_HIDDEN_EVERY_MS}"')

    def test_the_server_reads_as_many_jobs_as_the_page_says_it_may_send(self):
        jobs = [make_generation(self.alice) for _ in range(3)]
        tokens = [seen("card", job, 0) for job in jobs]

        with patch("generations.views.poll.POLL_LIMIT", 2):
            answer = self.client.get(POLL_URL, {"v": " ".join(tokens)})

        self.assertEqual(len(swaps(answer)) - 1, 2)  # and the header, which counts three


class BusyPageTests(StudioTestCase):
    def test_the_longest_poll_a_busy_page_sends_fits_the_request_line_and_is_answered(self):
        mine = running_jobs(self.alice, 50)  # the header's most
        theirs = running_jobs(self.bob, POLL_LIMIT, shared_at=timezone.now())
        moving = theirs[-1]
        version = moving.card_version
        Generation.objects.filter(pk=moving.pk).update(title="Harbour, take two")
        # As poll.js sends it: each job once, the header's with a "w".
        shown = [f"card:{job.pk}:{job.card_version}" for job in theirs[:-1]]
        shown.append(f"card:{moving.pk}:{version}")
        url = poll_path(shown, [str(job.pk) for job in mine]) + "&waiting=0"

        response = self.client.get(url, headers={"HX-Request": "true"})

        self.assertLessEqual(len(url), POLL_URL_LIMIT)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(list(swaps(response)), [f"card-{moving.pk}"])
        self.assertIn("Harbour, take two", swaps(response)[f"card-{moving.pk}"])
