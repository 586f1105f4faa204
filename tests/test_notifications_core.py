"""The inbox's one promise and the review fields every later feature builds on: a
notification never reaches someone who cannot see its video or project; renaming and
deciding are recorded in the video's history."""

from generations.models import EventKind, Generation, Notification, Project, ReviewStatus
from generations.notifications import mark_all_read, notify, unread_count

from .helpers import StudioTestCase, make_generation, make_ready_generation, make_user


class NotifyTests(StudioTestCase):
    def test_only_people_who_can_see_the_video_are_told(self):
        bob = self.bob
        gone = make_user("gone")
        gone.is_active = False
        gone.save()
        draft = make_generation(self.alice)

        notify([bob, gone, self.alice], "comment", "A word on your draft", generation=draft)

        self.assertEqual(
            list(Notification.objects.values_list("recipient__username", flat=True)), ["alice"]
        )

    def test_the_actor_is_not_told_what_they_did(self):
        bob = self.bob
        video = make_generation(self.alice)
        video.share_for(self.alice)

        notify([self.alice, bob], "decision", "Approved", generation=video, actor=bob)

        self.assertEqual([n.recipient for n in Notification.objects.all()], [self.alice])
        self.assertEqual(Notification.objects.get().actor_name, "bob")

    def test_a_limited_project_tells_only_its_people(self):
        bob, carol = self.bob, make_user("carol")
        project = Project.objects.create(name="Secret", created_by=self.alice, limited=True)
        project.members.add(self.alice, bob)

        notify([bob, carol], "budget", "80% of the budget is used", project=project)

        self.assertEqual([n.recipient for n in Notification.objects.all()], [bob])
        self.assertEqual(unread_count(bob), 1)
        self.assertEqual(mark_all_read(bob), 1)
        self.assertEqual(unread_count(bob), 0)

    def test_a_trashed_video_is_told_to_nobody_but_its_owner(self):
        bob = self.bob
        video = make_ready_generation(self.alice)
        video.share_for(self.alice)
        self.assertTrue(video.trash_for(self.alice))

        notify([self.alice, bob], "comment", "hello", generation=video)

        self.assertEqual([n.recipient for n in Notification.objects.all()], [self.alice])


class TitleAndDecisionTests(StudioTestCase):
    def test_a_renamed_video_keeps_its_new_title_in_its_history(self):
        video = make_generation(self.alice, prompt="A kite over a green field at dawn")
        self.assertEqual(video.display_title, "A kite over a green field at dawn")

        self.assertTrue(video.rename_for(self.alice, "  Kite   hero shot "))
        self.assertFalse(video.rename_for(self.alice, "Kite hero shot"))

        video = Generation.objects.get(pk=video.pk)
        self.assertEqual(video.display_title, "Kite hero shot")
        self.assertEqual(video.events.filter(kind=EventKind.RENAMED).count(), 1)

    def test_a_decision_is_recorded_with_who_made_it(self):
        bob = self.bob
        video = make_generation(self.alice)

        self.assertTrue(video.decide_for(bob, ReviewStatus.APPROVED))
        self.assertTrue(video.decide_for(None, ReviewStatus.CHANGES, guest_name="Claire"))

        video = Generation.objects.get(pk=video.pk)
        self.assertEqual(video.review_status, ReviewStatus.CHANGES)
        reasons = list(
            video.events.filter(kind=EventKind.REVIEWED)
            .order_by("pk")
            .values_list("actor__username", "reason")
        )
        self.assertEqual(
            reasons, [("bob", "Approved."), (None, "Changes requested by Claire (guest).")]
        )
