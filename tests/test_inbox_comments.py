"""Comments people can act on: @mentions of the people who can see the video (suggested
as you type), resolving and reopening, and a drawing on the paused frame."""

import json

from django.urls import reverse

from generations.drawings import MAX_SHAPES
from generations.models import Comment, Notification, NotificationKind

from .helpers import StudioTestCase, make_ready_generation, make_user

CIRCLE = {"kind": "circle", "colour": "red", "points": [[0.4, 0.3], [0.6, 0.5]]}


class MentionTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.video = make_ready_generation(self.alice, seconds=4.0)
        self.video.share_for(self.alice)

    def comment(self, body, **extra):
        url = reverse("generations:comments", args=[self.video.pk])
        return self.client.post(url, {"body": body, **extra})

    def test_a_mention_tells_the_person_with_a_link_to_the_moment(self):
        self.comment("@bob look at 0:03", at="0:03")

        line = Notification.objects.get(recipient=self.bob)
        comment = Comment.objects.get()
        self.assertEqual(line.kind, NotificationKind.MENTION)
        self.assertIn("alice mentioned you", line.text)
        self.assertIn("at 0:03.0", line.text)
        self.assertEqual(line.url, f"{self.video.get_absolute_url()}#t=3.0&c={comment.pk}")

    def test_names_are_matched_whatever_their_case_and_a_full_stop_after_them(self):
        carol = make_user("carol.b")
        self.comment("Thanks @BOB and @carol.b.")
        told = set(Notification.objects.values_list("recipient__username", flat=True))
        self.assertEqual(told, {"bob", carol.username})

    def test_the_owner_hears_of_a_comment_on_their_video_once(self):
        self.client.force_login(self.bob)
        self.comment("Lovely light, @alice")
        [line] = Notification.objects.filter(recipient=self.alice)
        self.assertEqual(line.kind, NotificationKind.MENTION)  # not a second "comment" line

        self.comment("And the sound too")
        kinds = list(
            Notification.objects.filter(recipient=self.alice).values_list("kind", flat=True)
        )
        self.assertEqual(sorted(kinds), ["comment", "mention"])

    def test_nobody_is_told_of_their_own_comment(self):
        self.comment("Note to self @alice")
        self.assertFalse(Notification.objects.exists())

    def test_suggestions_offer_only_people_who_see_the_video(self):
        make_user("bobby", is_active=False)
        url = reverse("generations:mention_suggestions", args=[self.video.pk])
        answer = self.client.get(url, {"q": "bo"})
        self.assertEqual(answer.json(), {"people": [{"username": "bob", "name": "bob"}]})

    def test_suggestions_use_full_names_too(self):
        make_user("cw", first_name="Carol", last_name="West")
        url = reverse("generations:mention_suggestions", args=[self.video.pk])
        answer = self.client.get(url, {"q": "car"})
        self.assertEqual(answer.json()["people"], [{"username": "cw", "name": "Carol West"}])


class ResolveTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.video = make_ready_generation(self.alice, seconds=4.0)
        self.video.share_for(self.alice)
        self.carol = make_user("carol")
        self.comment = Comment.objects.create(
            generation=self.video, author=self.bob, body="Too dark"
        )

    def resolve(self, **data):
        url = reverse("generations:comment_resolve", args=[self.video.pk, self.comment.pk])
        return self.client.post(url, data, HTTP_HX_REQUEST="true")

    def test_the_owner_resolves_a_comment_which_folds_but_stays_readable(self):
        answer = self.resolve()
        self.assertContains(answer, "Resolved")
        self.assertContains(answer, "<details")
        self.assertContains(answer, "Too dark")
        self.assertContains(answer, "Reopen")
        self.comment.refresh_from_db()
        self.assertEqual(self.comment.resolved_by, self.alice)
        page = self.client.get(self.video.get_absolute_url())
        self.assertContains(page, 'class="comment resolved"')

    def test_reopen_brings_it_back(self):
        self.resolve()
        answer = self.resolve(reopen="1")
        self.assertNotContains(answer, "<details")
        self.comment.refresh_from_db()
        self.assertIsNone(self.comment.resolved_at)

    def test_the_author_and_admins_may_resolve_but_another_teammate_may_not(self):
        self.client.force_login(self.carol)
        self.assertEqual(self.resolve().status_code, 404)
        page = self.client.get(self.video.get_absolute_url())
        self.assertNotContains(page, ">Resolve<")
        self.client.force_login(self.bob)
        self.assertEqual(self.resolve().status_code, 200)
        self.resolve(reopen="1")
        self.client.force_login(make_user("admin", is_staff=True))
        self.assertEqual(self.resolve().status_code, 200)

    def test_a_poll_sees_a_comment_resolved(self):
        url = reverse("generations:comments", args=[self.video.pk])
        before = Comment.objects.filter(generation=self.video).version()
        self.resolve()
        self.assertNotEqual(Comment.objects.filter(generation=self.video).version(), before)
        answer = self.client.get(url, {"v": before}, HTTP_HX_REQUEST="true")
        self.assertContains(answer, "Resolved")
        self.comment.refresh_from_db()
        self.assertFalse(self.comment.was_edited)  # resolving is not an edit


class DrawingTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.video = make_ready_generation(self.alice, seconds=4.0)

    def post(self, drawing, at="0:03"):
        url = reverse("generations:comments", args=[self.video.pk])
        text = drawing if isinstance(drawing, str) else json.dumps(drawing)
        return self.client.post(url, {"body": "Here", "at": at, "drawing": text})

    def test_a_circle_is_kept_with_the_comment_and_shown_for_the_player(self):
        answer = self.post([CIRCLE])
        self.assertEqual(answer.status_code, 302)
        comment = Comment.objects.get()
        self.assertEqual(comment.drawing, [CIRCLE])
        page = self.client.get(self.video.get_absolute_url())
        self.assertContains(page, "data-drawing=")
        self.assertContains(page, 'data-at="3.0"')
        self.assertContains(page, "Show the drawing")

    def test_pen_and_arrow_are_kept_rounded(self):
        pen = {
            "kind": "pen",
            "colour": "blue",
            "points": [[0.123456, 0.2], [0.2, 0.25], [0.3, 0.3]],
        }
        arrow = {"kind": "arrow", "colour": "yellow", "points": [[0.1, 0.1], [0.9, 0.9]]}
        self.post([pen, arrow])
        self.assertEqual(Comment.objects.get().drawing[0]["points"][0], [0.1235, 0.2])

    def test_junk_is_refused_with_a_sentence_and_the_text_is_kept(self):
        cases = {
            "not json": "could not be read",
            json.dumps({"kind": "circle"}): "could not be read",
            json.dumps([{**CIRCLE, "kind": "rectangle"}]): "pen lines, arrows and circles only",
            json.dumps([{**CIRCLE, "colour": "#123456"}]): "colours offered",
            json.dumps([{**CIRCLE, "points": [[0.1, 0.1]]}]): "two corners",
            json.dumps([{**CIRCLE, "points": [[0.1, 0.1], [1.5, 0.2]]}]): "outside the frame",
            json.dumps([{**CIRCLE, "points": [[0.1, 0.1], ["NaN", 0.2]]}]): "could not be read",
            json.dumps([CIRCLE] * (MAX_SHAPES + 1)): f"at most {MAX_SHAPES} shapes",
            json.dumps([{**CIRCLE, "kind": "pen", "points": [[0.1, 0.1]] * 401}]): "2 to 400",
            "[" + "1," * 40000 + "1]": "too detailed",
            json.dumps([{**CIRCLE, "points": [[0.5, 0.5], [0.5, 0.502]]}]): "cannot be seen",
        }
        for drawing, sentence in cases.items():
            with self.subTest(sentence):
                answer = self.post(drawing)
                self.assertEqual(answer.status_code, 400)
                self.assertContains(answer, sentence, status_code=400)
                self.assertContains(answer, "Here", status_code=400)
        self.assertFalse(Comment.objects.exists())

    def test_a_drawing_needs_its_moment(self):
        answer = self.post([CIRCLE], at="")
        self.assertContains(answer, "A drawing belongs to a moment", status_code=400)
        self.assertFalse(Comment.objects.exists())

    def test_editing_the_words_keeps_the_drawing(self):
        self.post([CIRCLE])
        comment = Comment.objects.get()
        url = reverse("generations:comment_edit", args=[self.video.pk, comment.pk])
        self.client.post(url, {"body": "Here, see", "at": "0:03"})
        comment.refresh_from_db()
        self.assertEqual((comment.body, comment.drawing), ("Here, see", [CIRCLE]))


class EditedMentionTests(StudioTestCase):
    def test_a_name_added_by_an_edit_is_told_once_and_the_others_not_again(self):
        video = make_ready_generation(self.alice, seconds=4.0)
        video.share_for(self.alice)
        carol = make_user("carol")
        self.client.post(
            reverse("generations:comments", args=[video.pk]), {"body": "@bob first look"}
        )
        comment = Comment.objects.get()
        url = reverse("generations:comment_edit", args=[video.pk, comment.pk])
        self.client.post(url, {"body": "@bob first look, and @carol too"})
        told = sorted(Notification.objects.values_list("recipient__username", flat=True))
        self.assertEqual(told, ["bob", carol.username])


class DeletedCommentTests(StudioTestCase):
    def test_a_deleted_comment_leaves_the_inboxes_that_quoted_it(self):
        video = make_ready_generation(self.alice, seconds=4.0)
        video.share_for(self.alice)
        url = reverse("generations:comments", args=[video.pk])
        self.client.post(url, {"body": "@bob a secret aside", "at": "0:01"})
        self.client.post(url, {"body": "@bob the real note"})
        first = Comment.objects.get(body="@bob a secret aside")
        self.client.post(reverse("generations:comment_delete", args=[video.pk, first.pk]))
        texts = list(Notification.objects.values_list("text", flat=True))
        self.assertEqual(len(texts), 1)
        self.assertIn("the real note", texts[0])
