"""A video's page comes partly from cached fragments, and still changes the moment what it
shows changes: comments, its status, sharing, a star, who is looking, the Trash. Nothing
cached carries a CSRF token."""

import re
from datetime import timedelta
from unittest import mock

import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Comment, Generation, Project, Status
from reviewlinks.models import ReviewLink
from reviewlinks.templatetags.reviewlinks import THE_VIDEO
from tests.helpers import StudioTestCase, make_generation, make_ready_generation, make_user

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')
HEADER_TOKEN = re.compile(r'"X-CSRFToken": "([^"]*)"')


class VideoPageCacheTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        cache.clear()
        self.video = make_ready_generation(self.alice, prompt="A kite over wheat")
        self.video.share_for(self.alice)
        self.page = self.video.get_absolute_url()

    def seen_by(self, user):
        self.client.force_login(user)
        return self.client.get(self.page)

    def test_every_form_carries_the_reader_s_own_token_never_a_cached_one(self):
        with mock.patch.object(cache, "set", wraps=cache.set) as stored:
            first = self.seen_by(self.alice).content.decode()
        again = self.seen_by(self.alice).content.decode()

        for html in (first, again):
            tokens = set(TOKEN.findall(html))
            self.assertEqual(tokens, set(HEADER_TOKEN.findall(html)))  # one, this request's
        self.assertNotEqual(TOKEN.findall(first)[0], TOKEN.findall(again)[0])
        self.assertTrue(stored.called)
        for call in stored.call_args_list:
            self.assertNotIn(TOKEN.findall(first)[0], str(call.args[1]))

    def test_a_cached_page_s_forms_still_pass_the_csrf_check(self):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(self.alice)
        browser.get(self.page)
        html = browser.get(self.page).content.decode()  # from the cache this time
        token = TOKEN.findall(html)[0]

        response = browser.post(
            reverse("generations:star", args=[self.video.pk]),
            {"starred": "1", "csrfmiddlewaretoken": token, "next": self.page},
        )

        self.assertEqual(response.status_code, 302)

    def test_a_new_an_edited_and_a_deleted_comment_show_at_once(self):
        self.seen_by(self.bob)
        self.client.post(reverse("generations:comments", args=[self.video.pk]), {"body": "Lovely"})
        self.assertContains(self.client.get(self.page), "Lovely")

        comment = Comment.objects.get()
        comment.edit("Lovely light", None)
        self.assertContains(self.client.get(self.page), "Lovely light")

        self.client.post(reverse("generations:comment_delete", args=[self.video.pk, comment.pk]))
        self.assertNotContains(self.client.get(self.page), "Lovely light")

    def test_a_comment_s_author_leaving_the_studio_shows_at_once(self):
        Comment.objects.create(generation=self.video, author=self.bob, body="Lovely")
        self.assertNotContains(self.seen_by(self.alice), "no longer in the studio")

        get_user_model().objects.filter(pk=self.bob.pk).update(is_active=False)

        self.assertContains(self.seen_by(self.alice), "no longer in the studio")

    def test_a_comment_changed_behind_the_page_s_back_still_shows(self):
        # An admin's edit keeps updated_at, so the comments' version stays the same.
        comment = Comment.objects.create(generation=self.video, author=self.bob, body="Lovely")
        self.seen_by(self.alice)

        Comment.objects.filter(pk=comment.pk).update(body="Lovely, fixed by an admin")

        self.assertContains(self.seen_by(self.alice), "Lovely, fixed by an admin")

    def test_only_the_author_is_offered_edit_and_delete(self):
        comment = Comment.objects.create(generation=self.video, author=self.bob, body="Lovely")
        edit = reverse("generations:comment_edit", args=[self.video.pk, comment.pk])

        self.assertContains(self.seen_by(self.bob), edit)
        self.assertNotContains(self.seen_by(self.alice), edit)
        self.assertContains(self.seen_by(self.bob), edit)

    def test_a_status_change_shows_at_once(self):
        job = make_generation(self.alice)
        page = job.get_absolute_url()
        self.assertContains(self.client.get(page), 'data-status="waiting"')

        job.mark_failed("CometAPI refused the prompt.", "invalid_request")
        job.save()

        response = self.client.get(page)
        self.assertContains(response, 'data-status="failed"')
        self.assertContains(response, "CometAPI refused the prompt.")
        self.assertContains(response, "Edit and try again")

    def test_the_status_partial_is_the_page_s_status_section(self):
        page = self.seen_by(self.alice).content.decode()

        partial = self.client.get(
            reverse("generations:status", args=[self.video.pk]), headers={"HX-Request": "true"}
        ).content.decode()

        # The same section but for the token, which is new with every request.
        self.assertIn(TOKEN.sub("token", partial.strip()), TOKEN.sub("token", page))

    def test_sharing_and_unsharing_show_at_once_to_the_owner_and_the_team(self):
        self.assertContains(self.seen_by(self.alice), "Unshare")
        self.assertContains(self.seen_by(self.bob), 'Shared by <strong class="maker">alice')

        self.video.unshare_for(self.alice)

        owner_view = self.seen_by(self.alice)
        self.assertContains(owner_view, "Share with the team")
        self.assertContains(owner_view, "This video is private")
        self.assertEqual(self.seen_by(self.bob).status_code, 404)

    def test_a_star_shows_at_once_and_only_to_whoever_gave_it(self):
        self.assertContains(self.seen_by(self.alice), 'aria-pressed="false"')

        self.video.set_star_for(self.alice, True)

        self.assertContains(self.seen_by(self.alice), 'aria-pressed="true"')
        self.assertContains(self.seen_by(self.bob), 'aria-pressed="false"')

    def test_a_teammate_never_gets_the_owner_s_page_nor_the_owner_theirs(self):
        delete = reverse("generations:delete", args=[self.video.pk])
        self.assertContains(self.seen_by(self.alice), delete)

        teammate = self.seen_by(self.bob)
        self.assertNotContains(teammate, delete)
        self.assertNotContains(teammate, "Unshare")
        self.assertContains(teammate, ">bob</a>")  # the header names who is looking
        self.assertNotContains(teammate, ">alice</a>")
        self.assertContains(self.seen_by(self.alice), delete)

    def test_a_teammate_sees_at_once_that_the_maker_left_the_studio(self):
        self.assertNotContains(self.seen_by(self.bob), "no longer in the studio")

        get_user_model().objects.filter(pk=self.alice.pk).update(is_active=False)

        self.assertContains(self.seen_by(self.bob), "no longer in the studio")

    def test_moving_to_the_trash_and_restoring_show_at_once(self):
        self.seen_by(self.alice)

        self.video.trash_for(self.alice)

        trashed = self.client.get(self.page)
        self.assertContains(trashed, "In the Trash since")
        self.assertNotContains(trashed, reverse("generations:delete", args=[self.video.pk]))
        self.assertContains(trashed, "Moved to the Trash")  # its history

        self.video.restore_for(self.alice)

        restored = self.client.get(self.page)
        self.assertNotContains(restored, "In the Trash since")
        self.assertContains(restored, "Restored from the Trash")


class WholeVideoPageCacheTests(StudioTestCase):
    """A finished video's page is kept whole; what it links to around it still moves."""

    def setUp(self):
        super().setUp()
        cache.clear()
        self.older = make_ready_generation(self.alice, prompt="An older kite")
        self.video = make_ready_generation(self.alice, prompt="A kite over wheat")
        self.page = self.video.get_absolute_url()

    def test_a_reload_asks_the_database_only_what_tells_a_change(self):
        self.client.get(self.page)

        # Session, user, the page's versions, running jobs and the inbox bell's unread count
        # (one query). The owner's review links panel is drawn fresh, but the versions told
        # that no link of theirs shows the video: it asks for none.
        with self.assertNumQueries(4):
            again = self.client.get(self.page)

        self.assertContains(again, "A kite over wheat")
        self.assertContains(again, "<title>A kite over wheat · VeoStudio</title>", html=False)
        self.assertContains(again, self.older.get_absolute_url())  # its "Next" link

    def test_a_first_load_after_a_star_reads_the_star_and_comments_once(self):
        self.client.get(self.page)
        self.video.set_star_for(self.alice, True)

        with CaptureQueriesContext(connection) as seen:
            page = self.client.get(self.page)

        self.assertContains(page, 'aria-pressed="true"')
        # The page's versions carry the star; no comment means no comment query at all.
        tables = [re.findall(r'FROM "(\w+)"', q["sql"])[-1:] for q in seen.captured_queries]
        self.assertNotIn(["generations_favourite"], tables)
        self.assertNotIn(["generations_comment"], tables)

    def test_a_newer_video_becomes_its_previous_at_once(self):
        self.assertNotContains(self.client.get(self.page), 'id="previous-link"')

        newer = make_ready_generation(self.alice, prompt="A newer kite")

        self.assertContains(self.client.get(self.page), newer.get_absolute_url())

    def test_a_neighbour_moved_to_the_trash_is_no_longer_linked(self):
        self.assertContains(self.client.get(self.page), self.older.get_absolute_url())

        self.older.trash_for(self.alice)

        self.assertNotContains(self.client.get(self.page), self.older.get_absolute_url())

    def test_a_teammate_s_remake_shows_once_they_share_it(self):
        self.video.share_for(self.alice)
        self.client.force_login(self.bob)
        remake = make_ready_generation(self.bob, prompt="Bob's take", made_from=self.video)
        self.client.force_login(self.alice)
        self.assertNotContains(self.client.get(self.page), "Bob&#x27;s take")

        remake.share_for(self.bob)

        self.assertContains(self.client.get(self.page), "Bob&#x27;s take")

    def test_a_list_of_favourites_moves_with_a_star_elsewhere(self):
        page = f"{self.page}?list=starred%3Dtrue"
        self.video.set_star_for(self.alice, True)
        self.assertNotContains(self.client.get(page), self.older.get_absolute_url())

        self.older.set_star_for(self.alice, True)

        self.assertContains(self.client.get(page), self.older.get_absolute_url())

    def test_a_kept_page_is_never_shown_to_someone_who_may_not_see_the_video(self):
        self.client.get(self.page)
        self.client.get(self.page)

        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(self.page).status_code, 404)

        self.video.share_for(self.alice)
        self.assertEqual(self.client.get(self.page).status_code, 200)
        self.video.trash_for(self.alice)
        self.assertEqual(self.client.get(self.page).status_code, 404)

    def test_a_deactivated_viewer_gets_no_page(self):
        self.client.get(self.page)
        get_user_model().objects.filter(pk=self.alice.pk).update(is_active=False)

        # Signed out, not served the kept page: off to the login, which brings them back.
        self.assertRedirects(
            self.client.get(self.page),
            f"{reverse('login')}?next={self.page}",
            fetch_redirect_response=False,
        )

    def test_a_message_still_shows_on_a_kept_page(self):
        self.client.get(self.page)
        self.client.post(reverse("generations:delete", args=[self.older.pk]), {"next": self.page})

        response = self.client.get(self.page)

        self.assertContains(response, "Moved to the Trash.")
        self.assertNotContains(self.client.get(self.page), "Moved to the Trash.")

    def test_a_comment_refused_keeps_the_page_s_title(self):
        self.client.get(self.page)

        response = self.client.post(
            reverse("generations:comments", args=[self.video.pk]), {"body": ""}
        )

        self.assertEqual(response.status_code, 400)
        self.assertContains(
            response, "<title>A kite over wheat · VeoStudio</title>", status_code=400
        )

    def test_the_title_of_a_kept_page_is_escaped_once(self):
        job = make_ready_generation(self.alice, prompt="Fish & chips <by the sea>")
        for _ in range(2):
            response = self.client.get(job.get_absolute_url())
            self.assertContains(response, "<title>Fish &amp; chips &lt;by the sea&gt; · VeoStudio")

    def test_a_job_without_a_history_reads_its_events_once(self):
        job = Generation.objects.create(
            owner=self.alice, prompt="No events yet", status=Status.READY
        )

        with CaptureQueriesContext(connection) as seen:
            page = self.client.get(job.get_absolute_url())

        self.assertContains(page, '<ol class="events" id="history-events">')
        tables = [re.findall(r'FROM "(\w+)"', q["sql"])[:1] for q in seen.captured_queries]
        self.assertEqual(tables.count(["generations_generationevent"]), 1)

    def test_the_review_links_panel_gets_from_the_page_what_it_would_have_asked(self):
        running = make_generation(self.alice, prompt="Still rendering")
        trashed = make_ready_generation(self.alice, prompt="Binned")
        trashed.trash_for(self.alice)
        later = make_ready_generation(
            self.alice, prompt="Next try", stack_id=self.video.pk, version=2
        )
        project = Project.objects.create(name="Spring", created_by=self.alice)
        in_project = make_ready_generation(self.alice, prompt="Filed", project=project)
        for job in [self.video, running, trashed, later, in_project]:
            response = self.client.get(job.get_absolute_url())
            self.assertEqual(response.context["video_row"], THE_VIDEO.rows(job.pk)[0])


class ReviewLinksPanelTests(StudioTestCase):
    """The owner's review links panel is drawn beside the kept page: a link made, revoked or
    run out shows on the next load, and a video that no live link of theirs lists costs
    the page no query for it (most videos)."""

    def setUp(self):
        super().setUp()
        cache.clear()
        self.video = make_ready_generation(self.alice, prompt="A kite over wheat")
        self.page = self.video.get_absolute_url()
        self.client.get(self.page)  # kept from here on

    def make_link(self, *videos, **fields) -> ReviewLink:
        data = {"name": "Round 2", "days": "7", "allow_feedback": "on", **fields}
        data["ids"] = [str(video.pk) for video in videos]
        self.client.post(reverse("reviewlinks:new"), data)
        return ReviewLink.objects.latest("pk")

    def reload_asks(self, page: str) -> int:
        self.client.get(page)  # drawn, in case a change moved the page's key
        with CaptureQueriesContext(connection) as seen:
            self.client.get(page)
        return len(seen.captured_queries)

    def test_a_link_made_shows_on_the_next_load_and_a_revoked_one_goes_at_once(self):
        link = self.make_link(self.video)

        shown = self.client.get(self.page)
        self.assertContains(shown, f'id="video-review-link-{link.pk}"')
        self.assertContains(shown, "Round 2")

        self.client.post(reverse("reviewlinks:revoke", args=[link.pk]), {"next": self.page})

        after = self.client.get(self.page)
        self.assertNotContains(after, f'id="video-review-link-{link.pk}"')
        self.assertContains(after, 'id="make-review-link"')

    def test_without_a_live_link_the_page_asks_one_query_fewer(self):
        without = self.reload_asks(self.page)
        link = self.make_link(self.video)

        self.assertEqual(self.reload_asks(self.page), without + 1)  # the panel's links

        link.revoke_for(self.alice)
        self.assertEqual(self.reload_asks(self.page), without)

    def test_a_link_that_ran_out_leaves_the_panel_and_its_query_at_once(self):
        link = self.make_link(self.video, days="1")
        self.assertContains(self.client.get(self.page), f'id="video-review-link-{link.pk}"')
        without_links = self.reload_asks(self.page) - 1

        with time_machine.travel(link.expires_at + timedelta(seconds=1)):
            self.assertNotContains(self.client.get(self.page), f'id="video-review-link-{link.pk}"')
            self.assertEqual(self.reload_asks(self.page), without_links)
        with time_machine.travel(link.expires_at - timedelta(seconds=1)):
            self.assertContains(self.client.get(self.page), f'id="video-review-link-{link.pk}"')

    def test_a_stack_s_link_and_a_project_s_link_show_on_the_pages_they_open(self):
        later = make_ready_generation(
            self.alice, prompt="Closer", stack_id=self.video.pk, version=2
        )
        project = Project.objects.create(name="Spring", created_by=self.alice)
        filed = make_ready_generation(self.alice, prompt="Filed", project=project)
        first_only = self.make_link(self.video, name="First only")
        stack = self.make_link(self.video, name="Every version", scope="stack")
        whole_project, _ = ReviewLink.create_for(
            self.alice, name="The project", days=7, project=project
        )
        self.assertEqual(set(stack.videos.all()), {self.video, later})
        newest = make_ready_generation(
            self.alice, prompt="Closer still", stack_id=self.video.pk, version=3
        )

        on_newest = self.client.get(newest.get_absolute_url())
        self.assertContains(on_newest, f'id="video-review-link-{stack.pk}"')
        self.assertNotContains(on_newest, f'id="video-review-link-{first_only.pk}"')
        on_filed = self.client.get(filed.get_absolute_url())
        self.assertContains(on_filed, f'id="video-review-link-{whole_project.pk}"')
        self.assertNotContains(on_filed, f'id="video-review-link-{stack.pk}"')

    def test_a_teammate_s_link_is_in_an_admin_s_panel_only(self):
        project = Project.objects.create(name="Spring", created_by=self.alice)
        project.members.add(self.bob)
        filed = make_ready_generation(self.alice, prompt="Filed", project=project)
        boss = make_user("boss", is_staff=True)
        bosses = make_ready_generation(boss, prompt="The boss's", project=project)
        bobs, _ = ReviewLink.create_for(self.bob, name="Bob's round", days=7, project=project)

        self.assertNotContains(self.client.get(filed.get_absolute_url()), "Bob&#x27;s round")
        self.assertEqual(self.reload_asks(filed.get_absolute_url()), self.reload_asks(self.page))
        self.client.force_login(boss)
        self.assertContains(
            self.client.get(bosses.get_absolute_url()), f'id="video-review-link-{bobs.pk}"'
        )
