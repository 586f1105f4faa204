"""Delete moves an ended job to the Trash; Delete forever there takes its row and every file
it stored; a running job stays."""

from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from generations.models import Generation, first_frame_name, thumbnail_name
from tests.factories_media import jpeg_bytes
from tests.helpers import StudioTestCase, make_generation, make_ready_generation

INDEX_URL = reverse("generations:index")


def stored_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


class DeleteTests(StudioTestCase):
    def test_it_moves_to_the_trash_and_delete_forever_removes_the_row_and_every_file(self):
        generation = make_ready_generation(self.alice)
        generation.first_frame.name = default_storage.save(
            first_frame_name(), ContentFile(jpeg_bytes(96, 64))
        )
        generation.first_frame_thumbnail.name = default_storage.save(
            thumbnail_name(), ContentFile(jpeg_bytes(48, 32))
        )
        generation.save()
        paths = [stored_path(f.name) for f in generation.stored_files()]
        self.assertEqual(len(paths), 4)
        self.assertTrue(all(path.is_file() for path in paths))

        response = self.client.post(
            reverse("generations:delete", args=[generation.pk]), follow=True
        )

        self.assertRedirects(response, INDEX_URL)
        self.assertContains(response, "Moved to the Trash.")
        self.assertTrue(all(path.is_file() for path in paths))
        forever = reverse("generations:delete_forever", args=[generation.pk])
        self.assertContains(self.client.get(forever), "Delete forever?")

        response = self.client.post(forever, follow=True)

        self.assertRedirects(response, reverse("generations:trash"))
        self.assertContains(response, "Deleted for good")
        self.assertFalse(Generation.objects.filter(pk=generation.pk).exists())
        for path in paths:
            self.assertFalse(path.exists(), path)

    def test_it_refuses_an_active_job_with_a_message(self):
        generation = make_generation(self.alice)
        generation.mark_submitted("task_live")
        generation.save()

        response = self.client.post(
            reverse("generations:delete", args=[generation.pk]), follow=True
        )

        self.assertRedirects(response, generation.get_absolute_url())
        self.assertContains(response, "This video is still being made")
        self.assertTrue(Generation.objects.filter(pk=generation.pk).exists())

    def test_it_refuses_get(self):
        generation = make_ready_generation(self.alice)

        response = self.client.get(reverse("generations:delete", args=[generation.pk]))

        self.assertEqual(response.status_code, 405)
        self.assertTrue(Generation.objects.filter(pk=generation.pk).exists())
        self.assertTrue(stored_path(generation.video.name).is_file())
