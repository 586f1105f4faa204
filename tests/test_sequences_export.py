"""Exporting a sequence as one MP4 in the worker: its length is the shots' sum less the
crossfades (within a frame), every shot brought to the sequence's size and rate with its
sound; the file is served like a video (Range, a readable name); a sequence changed since
says its export is out of date; a missing or broken shot fails with a sentence and leaves
no file anywhere."""

import uuid
from pathlib import Path

import av
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from cometsim.mp4 import make_demo_mp4
from generations.models import video_name
from lib.video import probe_mp4
from sequences import jobs
from sequences.models import Export, ExportStatus, Sequence, Shot

from .helpers import StudioTestCase, body, make_ready_generation, make_user

FRAME = 1 / 24


def stored_exports() -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "exports"
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []


def scratch_files() -> list[str]:
    folder = Path(settings.WORKER_SCRATCH_DIR) / "exports"
    return sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []


class ExportTests(StudioTestCase):
    def setUp(self):
        super().setUp()
        self.sequence = Sequence.objects.create(owner=self.alice, title="Kite spot: final!")
        self.shots = [
            make_ready_generation(self.alice, seconds=1.0, prompt="Kite rises"),
            make_ready_generation(self.alice, seconds=2.0, prompt="Kite turns"),
            make_ready_generation(self.alice, seconds=1.0, prompt="Kite lands"),
        ]
        for video in self.shots:
            self.sequence.add_video(video)
        self.before = set(stored_exports())

    def export(self, transition="cut") -> Export:
        response = self.client.post(
            reverse("sequences:export", args=[self.sequence.pk]), {"transition": transition}
        )
        self.assertRedirects(
            response, self.sequence.get_absolute_url() + "#export", fetch_redirect_response=False
        )
        self.assertTrue(jobs.export_next())
        return Export.objects.latest("pk")

    def probe(self, export: Export):
        return probe_mp4(default_storage.path(export.file.name))

    def test_crossfades_shorten_the_export_by_half_a_second_per_cut_within_a_frame(self):
        export = self.export("crossfade")
        self.assertEqual(export.status, ExportStatus.READY, export.error)
        info = self.probe(export)
        expected = sum(v.video_duration for v in self.shots) - 2 * 0.5
        self.assertLessEqual(abs(info.duration - expected), FRAME)
        self.assertEqual((info.width, info.height), (1280, 720))
        self.assertEqual(export.progress, 100)

    def test_hard_cuts_keep_the_whole_length_at_the_sequence_size_and_rate(self):
        export = self.export("cut")
        info = self.probe(export)
        self.assertLessEqual(abs(info.duration - 4.0), FRAME)
        with av.open(default_storage.path(export.file.name)) as container:
            stream = container.streams.video[0]
            self.assertEqual(stream.average_rate, 24)
            self.assertEqual(stream.frames, 96)
            self.assertEqual(container.streams.audio[0].sample_rate, 48000)

    def test_a_shot_with_sound_keeps_it_and_the_sound_lasts_as_long_as_the_pictures(self):
        name = default_storage.save(video_name(), ContentFile(make_demo_mp4(640, 360, 2.0)))
        with_sound = self.shots[1]
        old = with_sound.video.name
        type(with_sound).objects.filter(pk=with_sound.pk).update(video=name)
        default_storage.delete(old)
        export = self.export("crossfade")
        with av.open(default_storage.path(export.file.name)) as container:
            audio = container.streams.audio[0]
            video = container.streams.video[0]
            sound = float(audio.duration * audio.time_base)
            pictures = float(video.duration * video.time_base)
            self.assertLessEqual(abs(sound - pictures), 0.05)
            peak = 0.0
            for frame in container.decode(audio):
                peak = max(peak, max(abs(x) for x in memoryview(frame.planes[0]).cast("f")))
            self.assertGreater(peak, 0.01)  # the demo's tone came through

    def test_the_page_shows_the_export_and_serves_it_with_ranges_and_a_readable_name(self):
        export = self.export("crossfade")
        page = self.client.get(self.sequence.get_absolute_url())
        video_url = reverse("sequences:export_video", args=[self.sequence.pk, export.pk])
        self.assertContains(page, video_url)
        self.assertNotContains(page, "Out of date")
        ranged = self.client.get(video_url, headers={"Range": "bytes=0-99"})
        self.assertEqual(ranged.status_code, 206)
        self.assertEqual(len(body(ranged)), 100)
        download = self.client.get(
            reverse("sequences:export_download", args=[self.sequence.pk, export.pk])
        )
        self.assertEqual(download.status_code, 200)
        self.assertIn("_kite-spot-final_sequence.mp4", download["Content-Disposition"])
        self.assertTrue(body(download).startswith(b"\x00\x00\x00"))

    def test_an_export_of_a_sequence_changed_since_is_marked_out_of_date(self):
        self.export()
        shot = Shot.objects.get(generation=self.shots[2])
        self.client.post(
            reverse("sequences:move", args=[self.sequence.pk, shot.pk]), {"direction": "up"}
        )
        page = self.client.get(self.sequence.get_absolute_url())
        self.assertContains(page, "Out of date: the sequence changed since this export.")

    def test_the_progress_bar_polls_while_the_export_runs_and_stops_when_done(self):
        self.client.post(
            reverse("sequences:export", args=[self.sequence.pk]), {"transition": "cut"}
        )
        url = reverse("sequences:export_status", args=[self.sequence.pk])
        Export.objects.update(status=ExportStatus.RUNNING, progress=42)
        running = self.client.get(url, headers={"HX-Request": "true"})
        self.assertContains(running, 'value="42"')
        self.assertContains(running, 'hx-trigger="every 1s"')
        Export.objects.update(status=ExportStatus.QUEUED, progress=0)
        jobs.export_next()
        done = self.client.get(url, headers={"HX-Request": "true"})
        self.assertEqual(done.status_code, 286)
        self.assertNotContains(done, "hx-trigger", status_code=286)

    def test_a_new_export_replaces_the_old_file(self):
        first = self.export()
        old_name = first.file.name
        second = self.export("crossfade")
        self.assertEqual(second.status, ExportStatus.READY)
        self.assertFalse(Export.objects.filter(pk=first.pk).exists())
        self.assertFalse(default_storage.exists(old_name))

    def test_a_missing_shot_fails_the_export_with_a_sentence_and_leaves_no_file(self):
        default_storage.delete(self.shots[1].video.name)
        export = self.export()
        self.assertEqual(export.status, ExportStatus.FAILED)
        self.assertIn("Shot 2 (“Kite turns”) could not be read", export.error)
        self.assertIn("missing or damaged", export.error)
        self.assertFalse(export.file)
        self.assertEqual(set(stored_exports()), self.before)
        self.assertEqual(scratch_files(), [])
        page = self.client.get(self.sequence.get_absolute_url())
        self.assertContains(page, "The export failed. Shot 2")

    def test_a_broken_shot_fails_the_export_and_leaves_no_file(self):
        path = Path(default_storage.path(self.shots[2].video.name))
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] + b"\x00" * 4096)  # cut short mid-stream
        export = self.export()
        self.assertEqual(export.status, ExportStatus.FAILED, "a broken shot must not export")
        self.assertIn("Shot 3", export.error)
        self.assertEqual(set(stored_exports()), self.before)
        self.assertEqual(scratch_files(), [])

    def test_a_sequence_with_a_shot_not_made_cannot_be_exported(self):
        self.sequence.plan_shot(prompt="Later", model="veo3.1-fast", seconds=8, continues=False)
        response = self.client.post(
            reverse("sequences:export", args=[self.sequence.pk]),
            {"transition": "cut"},
            follow=True,
        )
        self.assertContains(response, "Shot 4 is not made yet.")
        self.assertFalse(Export.objects.exists())


class ExportQueueTests(StudioTestCase):
    """The export row is its own queue, leased like a job: a worker that died mid-export
    lets its lease run out and the next one takes it; a live lease is left alone; a worker
    that lost its lease writes nothing and keeps no file."""

    def setUp(self):
        super().setUp()
        self.sequence = Sequence.objects.create(owner=self.alice, title="Queue")
        self.sequence.add_video(make_ready_generation(self.alice, seconds=1.0))
        self.export = self.sequence.request_export(self.alice)
        self.before = set(stored_exports())

    def test_the_worker_loop_runs_the_sequences_steps(self):
        from generations import worker

        self.assertIn(jobs.start_waiting_shots, worker.EXTRA_STEPS)
        self.assertIn(jobs.export_in_background, worker.EXTRA_STEPS)

    def test_an_export_whose_worker_died_is_taken_again_when_its_lease_ends(self):
        from datetime import timedelta

        from django.utils import timezone

        Export.objects.update(
            status=ExportStatus.RUNNING, lease_until=timezone.now() + timedelta(minutes=1)
        )
        self.assertFalse(jobs.export_next())  # its worker may still be at it
        Export.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
        self.assertTrue(jobs.export_next())
        self.export.refresh_from_db()
        self.assertEqual(self.export.status, ExportStatus.READY)

    def test_a_worker_that_lost_its_lease_writes_nothing_and_keeps_no_file(self):
        pk, lease = jobs.claim_export()
        Export.objects.filter(pk=pk).update(lease=uuid.uuid4())  # another worker took it
        jobs.run_export(pk, lease)
        self.export.refresh_from_db()
        self.assertEqual(self.export.status, ExportStatus.RUNNING)
        self.assertFalse(self.export.file)
        self.assertEqual(set(stored_exports()), self.before)
        self.assertEqual(scratch_files(), [])


class ExportAccessTests(StudioTestCase):
    """An export is watched only by who may watch every video in it: Bob's shared video in
    Alice's personal sequence, then unshared, hides her export and refuses a new one."""

    def test_an_unshared_shot_hides_the_export_and_stops_the_next_one(self):
        bobs = make_ready_generation(self.bob, seconds=1.0, prompt="Bob's harbour")
        bobs.share_for(self.bob)
        sequence = Sequence.objects.create(owner=self.alice, title="Harbour")
        sequence.add_video(make_ready_generation(self.alice, seconds=1.0))
        sequence.add_video(bobs)
        sequence.request_export(self.alice)
        self.assertTrue(jobs.export_next())
        export = Export.objects.get()
        self.assertEqual(export.status, ExportStatus.READY)
        url = reverse("sequences:export_video", args=[sequence.pk, export.pk])
        self.assertEqual(self.client.get(url).status_code, 200)

        bobs.unshare_for(self.bob)
        self.assertEqual(self.client.get(url).status_code, 404)
        page = self.client.get(sequence.get_absolute_url())
        self.assertContains(page, "holds a video you may not watch")
        self.assertNotContains(page, url)
        self.assertContains(page, "Shot 2 is no longer a video this sequence")
        self.assertNotContains(page, "Bob&#x27;s harbour")


class ExportFileTests(StudioTestCase):
    def test_deleting_the_maker_account_takes_the_export_file_too(self):
        carol = make_user("carol")
        sequence = Sequence.objects.create(owner=carol, title="Gone")
        sequence.add_video(make_ready_generation(carol, seconds=1.0))
        sequence.request_export(carol)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertTrue(jobs.export_next())
        name = Export.objects.get().file.name
        self.assertTrue(default_storage.exists(name))
        with self.captureOnCommitCallbacks(execute=True):
            carol.delete()
        self.assertFalse(default_storage.exists(name))
