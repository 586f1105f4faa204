"""Talking about a shared video: comments at a moment, their authors' edits, the page's
poll for new ones and the counts on cards."""

import json

from django.urls import reverse

from generations import wording
from generations.models import Comment
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

HTMX = {"HX-Request": "true"}


class MomentWordingTests(StudioTestCase):
    def test_moments_read_as_a_player_shows_them(self):
        self.assertEqual(wording.moment_label(3.24), "0:03.2")
        self.assertEqual(wording.moment_label(62.96), "1:03.0")
        self.assertEqual(wording.moment_label(0), "0:00.0")

    def test_moments_are_read_however_people_write_them(self):
        for text, seconds in [
            ("0:03.2", 3.2),
            ("at 0:03.2", 3.2),
            ("3.2", 3.2),
            ("1:02", 62.0),
            ("  7 ", 7.0),
        ]:
            with self.subTest(text):
                self.assertAlmostEqual(wording.parse_moment(text), seconds)
        for text in ["", "abc", "1:75", "-3", "1e9", "nan", "inf", "0:03.2.1", "3,2"]:
            with self.subTest(text):
                self.assertIsNone(wording.parse_moment(text))


class CommentTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.generation = make_ready_generation(self.alice, seconds=4.0)
        self.generation.share_for(self.alice)
        self.url = reverse("generations:comments", args=[self.generation.pk])

    def comment_as(self, user, body="Nice", at=""):
        self.client.force_login(user)
        return self.client.post(self.url, {"body": body, "at": at})

    def test_a_teammate_comments_at_a_moment_and_the_page_shows_it(self):
        response = self.comment_as(self.bob, "The kite dips here", "0:03.2")

        self.assertRedirects(response, self.generation.get_absolute_url() + "#comments")
        comment = Comment.objects.get()
        self.assertEqual((comment.author, comment.at_seconds), (self.bob, 3.2))
        page = self.client.get(self.generation.get_absolute_url())
        self.assertContains(page, 'data-seek="3.2"')
        self.assertContains(page, "at 0:03.2")
        self.assertContains(page, "The kite dips here")

    def test_the_owner_comments_too(self):
        self.comment_as(self.alice, "Thanks!")

        self.assertEqual(Comment.objects.get().author, self.alice)

    def test_a_comment_without_a_moment_is_about_the_whole_video(self):
        self.comment_as(self.bob, "Great light")

        self.assertIsNone(Comment.objects.get().at_seconds)

    def test_bad_input_gets_a_friendly_message_and_keeps_what_was_typed(self):
        for body, at, message in [
            ("   ", "", "Please write something first."),
            ("Late", "0:09.0", "The video is only 0:04.0 long."),
            ("Odd", "soon", "Write the moment as minutes:seconds, like 0:03.2."),
            ("x" * 2001, "", "Please keep a comment under 2000 characters"),
        ]:
            with self.subTest(message):
                response = self.comment_as(self.bob, body, at)
                self.assertContains(response, message, status_code=400)
                if body.strip():
                    self.assertContains(response, body[:50], status_code=400)
        self.assertFalse(Comment.objects.exists())

    def test_a_comment_from_the_page_s_form_answers_the_whole_section(self):
        self.client.force_login(self.bob)

        response = self.client.post(self.url, {"body": "Loop it", "at": "1.5"}, headers=HTMX)

        self.assertContains(response, 'id="comments"')
        self.assertContains(response, "Loop it")
        self.assertContains(response, "at 0:01.5")

    def test_a_moment_needs_a_finished_video(self):
        running = make_generation(self.alice)
        running.share_for(self.alice)
        self.client.force_login(self.bob)

        response = self.client.post(
            reverse("generations:comments", args=[running.pk]), {"body": "Hm", "at": "1"}
        )

        self.assertContains(response, "no moments to point at yet", status_code=400)

    def poll_comments(self, version, **more):
        """The page's one poll as a video page sends it with its comments' version."""
        query = {"comments": str(self.generation.pk), "comments_version": version, **more}
        return self.client.get(reverse("generations:poll"), query, headers=HTMX)

    def test_a_teammate_s_new_comment_reaches_my_open_page_with_its_next_poll(self):
        self.client.force_login(self.bob)
        page = self.client.get(self.generation.get_absolute_url())
        version = page.context["comments_version"]
        self.assertContains(page, f'data-poll-comments="{self.generation.pk}"')
        self.assertContains(page, f'data-comments-version="{version}"')
        self.assertEqual(self.poll_comments(version).status_code, 204)  # nothing to swap

        self.comment_as(self.alice, "The kite should dip earlier")
        self.client.force_login(self.bob)
        changed = self.poll_comments(version)

        self.assertContains(changed, '<div hx-swap-oob="true" id="comment-list"')
        self.assertContains(changed, "The kite should dip earlier")
        fresh = self.generation.comments.version()
        self.assertContains(changed, f'data-comments-version="{fresh}"')
        self.assertEqual(self.poll_comments(fresh).status_code, 204)

    def test_the_poll_costs_the_same_few_queries_however_many_comments(self):
        self.client.force_login(self.bob)
        for count in (1, 20):
            Comment.objects.bulk_create(
                Comment(generation=self.generation, author=self.bob, body=f"c{i}")
                for i in range(count)
            )
            # Session, person, the poll's one read of jobs, the video through the comments'
            # door, the comments' version, the comments with their authors.
            with self.subTest(count), self.assertNumQueries(6):
                self.poll_comments("stale")

    def test_someone_who_may_not_see_the_video_gets_no_comments_from_the_poll(self):
        self.comment_as(self.alice, "Only for the team")
        self.generation.unshare_for(self.alice)
        self.client.force_login(self.bob)

        answer = self.poll_comments("stale")

        self.assertNotContains(answer, "Only for the team")
        self.assertNotContains(answer, 'comment-list"')  # no list swapped in
        # The page he still has open is told the video left his reach, as a card would be.
        self.assertEqual(
            json.loads(answer["HX-Trigger-After-Swap"]), {"veostudio:gone": ["comment-list"]}
        )
        comments_url = self.client.get(self.url, headers=HTMX)
        self.assertEqual(comments_url.status_code, 404)  # the comments' own URL says the same

    def test_a_private_video_s_notes_are_not_polled_for(self):
        private = make_ready_generation(self.alice)

        page = self.client.get(private.get_absolute_url())

        self.assertContains(page, "only you can read these notes")
        self.assertNotContains(page, "data-poll-comments")
        self.assertNotContains(page, "every 4s")  # the comments' own poll is gone for good

    def test_the_author_edits_their_comment(self):
        self.comment_as(self.bob, "Tpyo", "1")
        comment = Comment.objects.get()
        edit = reverse("generations:comment_edit", args=[self.generation.pk, comment.pk])

        form = self.client.get(edit, headers=HTMX)
        self.assertContains(form, "Tpyo")
        self.assertContains(form, 'value="0:01.0"')
        response = self.client.post(edit, {"body": "Typo", "at": ""}, headers=HTMX)

        self.assertContains(response, "Typo")
        comment.refresh_from_db()
        self.assertEqual((comment.body, comment.at_seconds), ("Typo", None))

    def test_an_edit_can_be_cancelled_and_a_bad_edit_is_explained(self):
        self.comment_as(self.bob, "Keep me")
        comment = Comment.objects.get()
        edit = reverse("generations:comment_edit", args=[self.generation.pk, comment.pk])

        cancelled = self.client.post(edit, {"body": "Changed", "cancel": "1"})
        bad = self.client.post(edit, {"body": " "})

        back = self.generation.get_absolute_url() + f"#comment-{comment.pk}"
        self.assertRedirects(cancelled, back, fetch_redirect_response=False)

        self.assertContains(bad, "Please write something first.")
        comment.refresh_from_db()
        self.assertEqual(comment.body, "Keep me")

    def test_the_author_deletes_their_comment(self):
        self.comment_as(self.bob, "Never mind")
        comment = Comment.objects.get()

        response = self.client.post(
            reverse("generations:comment_delete", args=[self.generation.pk, comment.pk]),
            headers=HTMX,
        )

        self.assertEqual(response.content, b"")
        self.assertFalse(Comment.objects.exists())

    def test_nobody_edits_or_deletes_someone_else_s_comment_not_even_the_video_s_owner(self):
        self.comment_as(self.bob, "Mine")
        comment = Comment.objects.get()
        self.client.force_login(self.alice)

        for name in ("comment_edit", "comment_delete"):
            with self.subTest(name):
                url = reverse(f"generations:{name}", args=[self.generation.pk, comment.pk])
                self.assertEqual(self.client.post(url, {"body": "Hers"}).status_code, 404)
        page = self.client.get(self.generation.get_absolute_url())
        self.assertNotContains(
            page, reverse("generations:comment_edit", args=[self.generation.pk, comment.pk])
        )
        comment.refresh_from_db()
        self.assertEqual(comment.body, "Mine")

    def test_a_comment_is_reached_only_through_its_own_video(self):
        self.comment_as(self.bob, "Here")
        comment = Comment.objects.get()
        other = make_ready_generation(self.bob)

        url = reverse("generations:comment_edit", args=[other.pk, comment.pk])

        self.assertEqual(self.client.get(url).status_code, 404)

    def test_cards_show_how_many_comments_a_video_has(self):
        for body in ("One", "Two"):
            self.comment_as(self.bob, body)
        self.client.force_login(self.alice)

        for url in (reverse("generations:index"), reverse("generations:team")):
            with self.subTest(url):
                self.assertContains(self.client.get(url), 'aria-label="2 comments"')

    def test_a_trashed_video_s_comments_close_to_the_team_and_go_with_it_for_good(self):
        self.comment_as(self.bob, "Gone soon")
        self.client.force_login(self.alice)

        self.client.post(reverse("generations:delete", args=[self.generation.pk]))
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.url, headers=HTMX).status_code, 404)
        self.assertEqual(self.client.get(self.generation.get_absolute_url()).status_code, 404)
        self.client.force_login(self.alice)
        self.client.post(reverse("generations:delete_forever", args=[self.generation.pk]))

        self.assertFalse(Comment.objects.exists())
