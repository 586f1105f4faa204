"""A sequence's storyboard: Alice makes one, adds ready videos from their pages, reorders
them with the Move buttons and by a drag's new order, removes one; a project's sequence
takes only the project's videos; a planned shot shows its price before anything is made."""

from django.urls import reverse

from billing.models import LedgerEntry
from generations.models import Generation, Project
from sequences.models import Sequence, Shot, ShotState

from .helpers import StudioTestCase, make_generation, make_ready_generation


class StoryboardTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.kite = make_ready_generation(self.alice, prompt="Kite over field")
        self.sun = make_ready_generation(self.alice, prompt="Sun through clouds")
        self.sea = make_ready_generation(self.alice, prompt="Sea at dusk")

    def make_sequence(self, **fields) -> Sequence:
        response = self.client.post(
            reverse("sequences:index"), {"title": "Spring spot", "size": "1280x720", **fields}
        )
        self.assertEqual(response.status_code, 302)
        return Sequence.objects.get()

    def add(self, sequence, video):
        return self.client.post(
            reverse("sequences:add_video", args=[video.pk]), {"sequence": sequence.pk}
        )

    def order(self, sequence) -> list[str]:
        return [shot.generation.prompt for shot in sequence.ordered_shots()]

    def test_a_ready_video_page_offers_add_to_sequence_and_the_video_lands_at_the_end(self):
        sequence = self.make_sequence()
        page = self.client.get(self.kite.get_absolute_url())
        self.assertContains(page, reverse("sequences:add_video", args=[self.kite.pk]))
        self.assertContains(
            self.client.get(reverse("sequences:add_video", args=[self.kite.pk])), "Spring spot"
        )
        response = self.add(sequence, self.kite)
        self.assertRedirects(
            response, sequence.get_absolute_url() + "#storyboard", fetch_redirect_response=False
        )
        self.add(sequence, self.sun)
        self.assertEqual(self.order(sequence), ["Kite over field", "Sun through clouds"])
        page = self.client.get(sequence.get_absolute_url())
        self.assertContains(page, "Shot 2:")
        self.assertContains(page, "Sun through clouds")

    def test_a_video_still_being_made_cannot_be_added(self):
        sequence = self.make_sequence()
        running = make_generation(self.alice, prompt="Still rendering")
        self.assertNotContains(self.client.get(running.get_absolute_url()), "Add to sequence")
        self.add(sequence, running)
        self.assertEqual(sequence.shots.count(), 0)

    def test_move_up_and_down_reorder_without_javascript(self):
        sequence = self.make_sequence()
        for video in (self.kite, self.sun, self.sea):
            self.add(sequence, video)
        sea = Shot.objects.get(generation=self.sea)
        url = reverse("sequences:move", args=[sequence.pk, sea.pk])
        response = self.client.post(url, {"direction": "up"})
        self.assertRedirects(
            response, f"{sequence.get_absolute_url()}#shot-{sea.pk}", fetch_redirect_response=False
        )
        self.assertEqual(
            self.order(sequence), ["Kite over field", "Sea at dusk", "Sun through clouds"]
        )
        kite = Shot.objects.get(generation=self.kite)
        self.client.post(
            reverse("sequences:move", args=[sequence.pk, kite.pk]), {"direction": "down"}
        )
        self.assertEqual(
            self.order(sequence), ["Sea at dusk", "Kite over field", "Sun through clouds"]
        )
        # The first shot cannot go further up: nothing changes.
        first = sequence.ordered_shots().first()
        self.client.post(
            reverse("sequences:move", args=[sequence.pk, first.pk]), {"direction": "up"}
        )
        self.assertEqual(
            self.order(sequence), ["Sea at dusk", "Kite over field", "Sun through clouds"]
        )

    def test_a_drag_sends_the_whole_order_and_a_stale_order_changes_nothing(self):
        sequence = self.make_sequence()
        for video in (self.kite, self.sun, self.sea):
            self.add(sequence, video)
        ids = [shot.pk for shot in sequence.ordered_shots()]
        response = self.client.post(
            reverse("sequences:reorder", args=[sequence.pk]),
            {"order": [ids[2], ids[0], ids[1]]},
            headers={"HX-Request": "true"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="storyboard"')
        self.assertEqual(
            self.order(sequence), ["Sea at dusk", "Kite over field", "Sun through clouds"]
        )
        self.client.post(
            reverse("sequences:reorder", args=[sequence.pk]), {"order": [ids[0], ids[1]]}
        )
        self.assertEqual(
            self.order(sequence), ["Sea at dusk", "Kite over field", "Sun through clouds"]
        )

    def test_removing_a_shot_keeps_its_video_in_the_gallery(self):
        sequence = self.make_sequence()
        self.add(sequence, self.kite)
        self.add(sequence, self.sun)
        shot = Shot.objects.get(generation=self.kite)
        self.client.post(reverse("sequences:remove", args=[sequence.pk, shot.pk]))
        self.assertEqual(self.order(sequence), ["Sun through clouds"])
        self.assertTrue(Generation.objects.filter(pk=self.kite.pk).exists())

    def test_every_change_moves_the_version_an_export_is_compared_with(self):
        sequence = self.make_sequence()
        start = sequence.version
        self.add(sequence, self.kite)
        self.add(sequence, self.sun)
        shot = Shot.objects.get(generation=self.sun)
        self.client.post(
            reverse("sequences:move", args=[sequence.pk, shot.pk]), {"direction": "up"}
        )
        self.client.post(
            reverse("sequences:transition", args=[sequence.pk]), {"transition": "crossfade"}
        )
        sequence.refresh_from_db()
        self.assertEqual(sequence.version, start + 4)

    def test_a_project_sequence_takes_only_the_project_videos(self):
        project = Project.objects.create(name="Spring", created_by=self.alice)
        sequence = self.make_sequence(project=project.pk)
        self.add(sequence, self.kite)
        self.assertEqual(sequence.shots.count(), 0)
        self.kite.move_for(self.alice, project)
        self.add(sequence, self.kite)
        self.assertEqual(sequence.shots.count(), 1)

    def test_a_planned_shot_shows_its_price_and_nothing_is_reserved_or_made(self):
        sequence = self.make_sequence()
        response = self.client.post(
            reverse("sequences:plan", args=[sequence.pk]),
            {"prompt": "The kite climbs into the sun", "model": "veo3.1-fast", "seconds": "8"},
        )
        self.assertEqual(response.status_code, 302)
        shot = Shot.objects.get()
        self.assertEqual(shot.state, ShotState.PLANNED)
        page = self.client.get(sequence.get_absolute_url())
        self.assertContains(page, "Planned · $0.64 · 8 s × $0.08/s")
        self.assertContains(page, "Generate the planned shots ($0.64)")
        self.assertEqual(Generation.objects.filter(prompt__startswith="The kite climbs").count(), 0)
        self.assertEqual(LedgerEntry.objects.filter(generation_ref=shot.job_ref).count(), 0)

    def test_a_planned_shot_without_a_prompt_is_refused_with_a_sentence(self):
        sequence = self.make_sequence()
        response = self.client.post(
            reverse("sequences:plan", args=[sequence.pk]),
            {"prompt": "  ", "model": "veo3.1-fast", "seconds": "8"},
        )
        self.assertContains(response, "Please describe the shot you want.", status_code=400)
        self.assertEqual(Shot.objects.count(), 0)

    def test_a_1080p_sequence_plans_8_second_shots_only(self):
        sequence = self.make_sequence(size="1920x1080")
        response = self.client.post(
            reverse("sequences:plan", args=[sequence.pk]),
            {"prompt": "Wide shot", "model": "veo3.1-fast", "seconds": "4"},
        )
        self.assertContains(response, "choose 8 seconds", status_code=400)

    def test_deleting_a_sequence_keeps_its_videos(self):
        sequence = self.make_sequence()
        self.add(sequence, self.kite)
        response = self.client.post(reverse("sequences:delete", args=[sequence.pk]))
        self.assertRedirects(response, reverse("sequences:index"), fetch_redirect_response=False)
        self.assertFalse(Sequence.objects.exists())
        self.assertTrue(Generation.objects.filter(pk=self.kite.pk).exists())


class NewSequenceFormTests(StudioTestCase):
    """The Sequences page draws the new sequence's form from plain values: what a person
    sees and sends is what SequenceForm's own widgets draw, before and after a mistake."""

    def widgets(self, form) -> list[str]:
        return [str(form[name]) for name in ("title", "project", "size")]

    def test_the_empty_form_is_the_form_s_own(self):
        from sequences.forms import SequenceForm

        Project.objects.create(name="Perfume", created_by=self.bob)
        page = self.client.get(reverse("sequences:index"))

        for widget in self.widgets(SequenceForm(owner=self.alice)):
            self.assertInHTML(widget, page.content.decode())
        self.assertContains(page, "Perfume")

    def test_a_refused_form_keeps_what_was_typed_and_says_why(self):
        from sequences.forms import SequenceForm

        perfume = Project.objects.create(name="Perfume", created_by=self.bob)
        Project.objects.create(name="Kites", created_by=self.bob)
        sent = {"title": "   ", "project": str(perfume.pk), "size": "720x1280"}
        page = self.client.post(reverse("sequences:index"), sent)

        form = SequenceForm(sent, owner=self.alice)
        self.assertFalse(form.is_valid())
        for widget in self.widgets(form):
            self.assertInHTML(widget, page.content.decode())
        self.assertContains(page, "Please give the sequence a name.")
        self.assertFalse(Sequence.objects.exists())

    def test_a_project_closed_meanwhile_is_refused_in_the_form_s_words(self):
        from sequences.forms import SequenceForm

        closed = Project.objects.create(name="Perfume", created_by=self.bob, limited=True)
        sent = {"title": "Spot", "project": str(closed.pk), "size": "1280x720"}
        page = self.client.post(reverse("sequences:index"), sent)

        form = SequenceForm(sent, owner=self.alice)
        self.assertFalse(form.is_valid())
        for widget in self.widgets(form):
            self.assertInHTML(widget, page.content.decode())
        self.assertContains(page, "That project is no longer open.")
