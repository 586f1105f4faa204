"""Delete moves to the Trash with Undo; Restore, Delete forever, and the worker's purge."""

from datetime import timedelta
from pathlib import Path

import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from generations import worker
from generations.models import EventKind, Generation, GenerationEvent, first_frame_name
from tests.factories_media import jpeg_bytes
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

INDEX_URL = reverse("generations:index")
TRASH_URL = reverse("generations:trash")


def paths_of(generation: Generation) -> list[Path]:
    return [Path(settings.MEDIA_ROOT) / f.name for f in generation.stored_files()]


class TrashTests(StudioTestCase):
    def test_delete_hides_the_video_at_once_and_the_message_offers_undo(self):
        video = make_ready_generation(self.alice, prompt="Kite at dusk")

        response = self.client.post(reverse("generations:delete", args=[video.pk]), follow=True)

        self.assertContains(response, "Moved to the Trash.")
        self.assertContains(response, f'<input type="hidden" name="ids" value="{video.pk}">')
        self.assertContains(response, ">Undo</button>")
        self.assertNotContains(response, f'id="card-{video.pk}"')
        self.assertContains(self.client.get(TRASH_URL), "Kite at dusk")

    def test_undo_brings_it_back_with_its_history(self):
        video = make_ready_generation(self.alice)
        self.client.post(reverse("generations:delete", args=[video.pk]))

        response = self.client.post(
            reverse("generations:selection"), {"action": "restore", "ids": [video.pk]}, follow=True
        )

        self.assertContains(response, "Restored 1 video.")
        self.assertContains(response, f'id="card-{video.pk}"')
        kinds = list(video.history.values_list("kind", flat=True))
        self.assertEqual(kinds[-2:], [EventKind.TRASHED, EventKind.RESTORED])

    def test_restore_from_the_trash_page(self):
        video = make_ready_generation(self.alice)
        video.trash_for(self.alice)

        trash = reverse("generations:trash")
        response = self.client.post(
            reverse("generations:restore", args=[video.pk]), {"next": trash}, follow=True
        )

        self.assertRedirects(response, trash)
        self.assertContains(response, "Restored to the gallery.")
        video.refresh_from_db()
        self.assertFalse(video.in_trash)

    def test_a_running_job_cannot_be_trashed(self):
        running = make_generation(self.alice)

        response = self.client.post(reverse("generations:delete", args=[running.pk]), follow=True)

        self.assertContains(response, "still being made")
        running.refresh_from_db()
        self.assertFalse(running.in_trash)
        response = self.client.post(
            reverse("generations:selection"), {"action": "trash", "ids": [running.pk]}, follow=True
        )
        self.assertContains(response, "cannot be moved to the Trash")

    def test_a_job_in_the_trash_is_not_sent_or_checked_again_until_restored(self):
        job = make_generation(self.alice)
        job.mark_timed_out()
        job.save()
        job.trash_for(self.alice)

        page = self.client.get(job.get_absolute_url())
        for action in ("submit_again", "check_again"):
            answer = self.client.post(reverse(f"generations:{action}", args=[job.pk]))
            self.assertRedirects(answer, job.get_absolute_url(), fetch_redirect_response=False)

        self.assertNotContains(page, "Try again (a new paid job)")
        self.assertContains(page, "Restore")
        job.refresh_from_db()
        self.assertEqual(job.status, "timed_out")
        self.client.post(reverse("generations:restore", args=[job.pk]))
        self.client.post(reverse("generations:submit_again", args=[job.pk]))
        job.refresh_from_db()
        self.assertEqual(job.status, "waiting")

    def test_delete_forever_asks_first_and_removes_files(self):
        video = make_ready_generation(self.alice, prompt="Gone soon")
        video.trash_for(self.alice)
        files = paths_of(video)
        url = reverse("generations:delete_forever", args=[video.pk])

        confirm = self.client.get(url)

        self.assertContains(confirm, "cannot be undone")
        self.assertTrue(Generation.objects.filter(pk=video.pk).exists())
        self.client.post(url)
        self.assertFalse(Generation.objects.filter(pk=video.pk).exists())
        self.assertFalse(any(path.exists() for path in files))

    def test_delete_forever_is_only_for_what_is_in_the_trash(self):
        video = make_ready_generation(self.alice)

        response = self.client.post(
            reverse("generations:delete_forever", args=[video.pk]), follow=True
        )

        self.assertRedirects(response, video.get_absolute_url())
        self.assertContains(response, "Move the video to the Trash first.")
        self.assertTrue(Generation.objects.filter(pk=video.pk).exists())

    def test_a_selection_moves_to_the_trash_and_running_ones_stay(self):
        ready = [make_ready_generation(self.alice) for _ in range(2)]
        running = make_generation(self.alice)

        response = self.client.post(
            reverse("generations:selection"),
            {"action": "trash", "ids": [*(v.pk for v in ready), running.pk]},
            follow=True,
        )

        self.assertContains(response, "Moved 2 videos to the Trash. 1 still being made stayed")
        self.assertEqual(Generation.objects.in_trash().count(), 2)


class PurgeTests(StudioTestCase):
    def test_the_worker_purges_after_the_keep_period_with_every_file(self):
        old = make_ready_generation(self.alice, prompt="Old")
        old.first_frame.name = default_storage.save(
            first_frame_name(), ContentFile(jpeg_bytes(8, 8))
        )
        old.save()
        recent = make_ready_generation(self.alice, prompt="Recent")
        kept = make_ready_generation(self.alice, prompt="Not in the trash")
        with time_machine.travel(timezone.now() - timedelta(days=31)):
            old.trash_for(self.alice)
        with time_machine.travel(timezone.now() - timedelta(days=29)):
            recent.trash_for(self.alice)
        old_files = paths_of(old)
        self.assertEqual(len(old_files), 3)

        worker.tidy()

        self.assertFalse(Generation.objects.filter(pk=old.pk).exists())
        self.assertFalse(any(path.exists() for path in old_files))
        self.assertTrue(Generation.objects.filter(pk__in=[recent.pk, kept.pk]).count() == 2)
        self.assertTrue(all(path.exists() for path in paths_of(recent)))
        purged = GenerationEvent.objects.get(generation_ref=old.pk, kind=EventKind.PURGED)
        self.assertIsNone(purged.actor)

    @override_settings(TRASH_KEEP_DAYS=1)
    def test_the_keep_period_is_a_setting(self):
        video = make_ready_generation(self.alice)
        with time_machine.travel(timezone.now() - timedelta(days=2)):
            video.trash_for(self.alice)

        worker.tidy()

        self.assertFalse(Generation.objects.filter(pk=video.pk).exists())

    def test_the_trash_page_says_when_each_goes(self):
        video = make_ready_generation(self.alice, prompt="Dated")
        video.trash_for(self.alice)

        response = self.client.get(TRASH_URL)

        due = (video.trashed_at + timedelta(days=30)).strftime("%-d %b %Y")
        self.assertContains(response, f"gone for good on {due}")
        self.assertContains(response, "Delete forever")
