"""Sharing a video with the team: who may share, what a teammate then sees, and how
unsharing closes every door at once."""

from django.urls import reverse

from billing.models import StudioSettings
from generations.models import EventKind, Generation
from tests.helpers import StudioTestCase, make_ready_generation, make_user, with_first_frame


def every_url_of(generation: Generation) -> dict[str, str]:
    urls = {
        name: reverse(f"generations:{name}", args=[generation.pk])
        for name in ("detail", "status", "video", "download", "poster", "first_frame")
    }
    urls["comments"] = reverse("generations:comments", args=[generation.pk])
    return urls


class ShareTests(StudioTestCase):
    def test_a_new_video_is_private(self):
        generation = make_ready_generation(self.alice)

        self.assertFalse(generation.is_shared)
        self.client.force_login(self.bob)
        self.assertEqual(self.client.get(generation.get_absolute_url()).status_code, 404)

    def test_the_owner_shares_from_the_video_s_page_and_it_is_recorded(self):
        generation = make_ready_generation(self.alice)
        page = generation.get_absolute_url()

        response = self.client.post(
            reverse("generations:share", args=[generation.pk]), {"next": page}
        )

        self.assertRedirects(response, page)
        generation.refresh_from_db()
        self.assertTrue(generation.is_shared)
        event = generation.events.get(kind=EventKind.SHARED)
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.to_status, generation.status)

    def test_sharing_twice_records_once(self):
        generation = make_ready_generation(self.alice)
        url = reverse("generations:share", args=[generation.pk])

        self.client.post(url)
        self.client.post(url)

        self.assertEqual(generation.events.filter(kind=EventKind.SHARED).count(), 1)

    def test_sharing_from_a_card_answers_the_share_control_and_tells_the_page(self):
        generation = make_ready_generation(self.alice)

        response = self.client.post(
            reverse("generations:share", args=[generation.pk]),
            {"next": "/"},
            headers={"HX-Request": "true"},
        )

        self.assertContains(response, "Shared with the team")
        self.assertContains(response, reverse("generations:unshare", args=[generation.pk]))
        self.assertEqual(response["HX-Trigger"], "team:sharing-changed")

    def test_the_gallery_s_card_offers_sharing_to_its_owner(self):
        generation = make_ready_generation(self.alice)

        response = self.client.get(reverse("generations:index"))

        self.assertContains(response, reverse("generations:share", args=[generation.pk]))

    def test_unsharing_is_recorded_and_makes_it_private_again(self):
        generation = make_ready_generation(self.alice)
        generation.share_for(self.alice)

        self.client.post(reverse("generations:unshare", args=[generation.pk]))

        generation.refresh_from_db()
        self.assertFalse(generation.is_shared)
        kinds = list(generation.history.values_list("kind", flat=True))
        self.assertEqual(kinds[-2:], [EventKind.SHARED, EventKind.UNSHARED])

    def test_a_next_address_elsewhere_is_ignored(self):
        generation = make_ready_generation(self.alice)

        response = self.client.post(
            reverse("generations:share", args=[generation.pk]),
            {"next": "https://evil.example/"},
        )

        self.assertRedirects(response, generation.get_absolute_url())

    def test_a_selection_is_shared_and_unshared_at_once_but_only_the_owner_s(self):
        mine = [make_ready_generation(self.alice) for _ in range(3)]
        theirs = make_ready_generation(self.bob)
        ids = [str(g.pk) for g in mine] + [str(theirs.pk), "not-a-uuid"]

        response = self.client.post(
            reverse("generations:share_many"), {"action": "share", "ids": ids}, follow=True
        )

        self.assertContains(response, "Shared 3 videos with the team.")
        self.assertEqual(Generation.objects.filter(shared_at__isnull=False).count(), 3)
        theirs.refresh_from_db()
        self.assertFalse(theirs.is_shared)

        self.client.post(reverse("generations:share_many"), {"action": "unshare", "ids": ids[:2]})
        self.assertEqual(Generation.objects.filter(shared_at__isnull=False).count(), 1)

    def test_an_empty_selection_says_what_to_do(self):
        response = self.client.post(
            reverse("generations:share_many"), {"action": "share"}, follow=True
        )

        self.assertContains(response, "Pick one or more of your videos first.")

    def test_sharing_never_touches_the_job_s_state(self):
        generation = make_ready_generation(self.alice)
        before = (generation.status, generation.video.name, generation.events.count())

        generation.share_for(self.alice)

        generation.refresh_from_db()
        after = (generation.status, generation.video.name, generation.events.count())
        self.assertEqual(after, (*before[:2], before[2] + 1))


class TeammateTests(StudioTestCase):
    def setUp(self):
        self.generation = with_first_frame(make_ready_generation(self.alice))
        self.generation.share_for(self.alice)
        self.client.force_login(self.bob)

    def test_a_teammate_watches_seeks_and_downloads_a_shared_video(self):
        urls = every_url_of(self.generation)
        for name in ("detail", "video", "poster", "first_frame", "download"):
            with self.subTest(name):
                self.assertEqual(self.client.get(urls[name]).status_code, 200)
        ranged = self.client.get(urls["video"], headers={"Range": "bytes=0-99"})
        self.assertEqual(ranged.status_code, 206)

    def test_media_of_a_shared_video_is_never_cacheable_by_a_shared_proxy(self):
        urls = every_url_of(self.generation)
        for name in ("video", "download", "poster", "first_frame"):
            with self.subTest(name):
                response = self.client.get(urls[name])
                self.assertIn("private", response["Cache-Control"])
                self.assertNotIn("public", response["Cache-Control"])

    def test_the_page_names_its_maker_and_offers_no_owner_actions(self):
        response = self.client.get(self.generation.get_absolute_url())

        self.assertContains(response, 'Shared by <strong class="maker">alice</strong>')
        for name in ("delete", "share", "unshare", "check_again", "submit_again"):
            self.assertNotContains(
                response, reverse(f"generations:{name}", args=[self.generation.pk])
            )

    def test_a_teammate_cannot_delete_unshare_or_retry(self):
        for name in ("delete", "unshare", "share", "check_again", "submit_again"):
            with self.subTest(name):
                response = self.client.post(
                    reverse(f"generations:{name}", args=[self.generation.pk])
                )
                self.assertEqual(response.status_code, 404)
        self.generation.refresh_from_db()
        self.assertTrue(self.generation.is_shared)
        self.assertTrue(self.generation.is_ready)

    def test_a_teammate_s_own_gallery_does_not_fill_with_other_people_s_videos(self):
        response = self.client.get(reverse("generations:index"))

        self.assertNotContains(response, str(self.generation.pk))

    def test_unsharing_closes_every_door_at_once(self):
        urls = every_url_of(self.generation)
        self.client.post(urls["comments"], {"body": "Lovely kite"})
        comment = self.generation.comments.get()
        edit = reverse("generations:comment_edit", args=[self.generation.pk, comment.pk])
        opened = {name: self.client.get(url).status_code for name, url in urls.items()}
        # Every door opens while shared; the comments' own URL sends a plain GET to the page.
        self.assertEqual(opened, {**dict.fromkeys(urls, 200), "comments": 302})

        self.generation.unshare_for(self.alice)

        for name, url in urls.items():
            with self.subTest(name):
                self.assertEqual(self.client.get(url).status_code, 404)
                htmx = self.client.get(url, headers={"HX-Request": "true"})
                self.assertEqual(htmx.status_code, 404)
        self.assertEqual(self.client.post(urls["comments"], {"body": "Still?"}).status_code, 404)
        self.assertEqual(self.client.post(edit, {"body": "Changed"}).status_code, 404)
        comment.refresh_from_db()
        self.assertEqual(comment.body, "Lovely kite")
        self.assertEqual(self.generation.comments.count(), 1)


class StudioDefaultTests(StudioTestCase):
    def create(self):
        self.client.post(
            reverse("generations:create"),
            {"prompt": "A kite", "model": "veo3.1-fast", "seconds": "4", "size": "1280x720"},
        )
        return Generation.objects.get()

    def test_new_videos_are_private_by_default(self):
        self.assertFalse(self.create().is_shared)

    def test_an_admin_sets_new_videos_to_be_shared(self):
        admin = make_user("ada", is_staff=True)
        self.client.force_login(admin)

        response = self.client.post(
            reverse("generations:studio_settings"), {"share_new_videos": "on"}, follow=True
        )

        self.assertContains(response, "Studio settings saved.")
        self.assertTrue(StudioSettings.load().share_new_videos)
        self.assertEqual(StudioSettings.objects.get().updated_by, admin)

        self.client.force_login(self.alice)
        generation = self.create()
        self.assertTrue(generation.is_shared)
        event = generation.events.get(kind=EventKind.SHARED)
        self.assertEqual(event.reason, "The studio shares new videos with the team.")
        self.assertEqual(event.actor, self.alice)

    def test_the_form_says_when_new_videos_start_shared(self):
        form = reverse("generations:create")
        self.assertNotContains(self.client.get(form), "will be shared with the team")

        StudioSettings.objects.filter(pk=StudioSettings.load().pk).update(share_new_videos=True)

        self.assertContains(self.client.get(form), "will be shared with the team")

    def test_the_gallery_s_selection_can_be_shared(self):
        make_ready_generation(self.alice)

        page = self.client.get(reverse("generations:index"))

        self.assertContains(page, f'formaction="{reverse("generations:share_many")}"', count=2)

    def test_a_person_who_is_not_an_admin_cannot_change_the_default(self):
        page = self.client.get(reverse("generations:studio_settings"))
        self.assertEqual(page.status_code, 403)
        self.assertContains(page, "This page is for the studio's admins", status_code=403)

        refused = self.client.post(
            reverse("generations:studio_settings"), {"share_new_videos": "on"}
        )

        self.assertEqual(refused.status_code, 403)
        self.assertFalse(StudioSettings.load().share_new_videos)

    def test_the_settings_stay_one_row(self):
        studio = StudioSettings.load()
        studio.share_new_videos = True
        studio.save()
        studio.pk = 2  # a second row saved by mistake lands on the one row
        studio.share_new_videos = False
        studio.save()

        self.assertEqual(StudioSettings.objects.count(), 1)
        self.assertFalse(StudioSettings.load().share_new_videos)


class DeactivatedTeammateTests(StudioTestCase):
    def test_a_deactivated_teammate_keeps_their_name_on_what_they_shared_and_wrote(self):
        carol = make_user("carol")
        carol.first_name, carol.last_name = "Carol", "Reyes"
        carol.save()
        generation = make_ready_generation(carol, prompt="Carol's lighthouse at dusk")
        generation.share_for(carol)
        self.client.force_login(carol)
        self.client.post(
            reverse("generations:comments", args=[generation.pk]), {"body": "First cut"}
        )
        carol.is_active = False
        carol.save()

        self.client.force_login(self.alice)
        team = self.client.get(reverse("generations:team"))
        page = self.client.get(generation.get_absolute_url())

        self.assertContains(team, "Carol Reyes")
        self.assertContains(team, "Carol&#x27;s lighthouse")
        self.assertContains(page, "Carol Reyes", count=2)  # the maker, and the comment
        self.assertContains(page, "no longer in the studio")
        self.assertContains(page, "First cut")
