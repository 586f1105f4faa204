"""A job's links, built without reverse() each time, are reverse()'s links."""

import uuid

from django.test import SimpleTestCase, override_settings
from django.urls import NoReverseMatch, get_resolver, reverse, set_script_prefix

from generations.links import job_item_url, job_url, page_url

JOB_URL_NAMES = [
    f"generations:{pattern.name}"
    for pattern in get_resolver("generations.urls").url_patterns
    if pattern.name and str(pattern.pattern).count("<") == 1 and "<uuid:pk>" in str(pattern.pattern)
]


class JobUrlTests(SimpleTestCase):
    def test_every_url_of_a_job_is_the_one_reverse_gives(self):
        pk = uuid.uuid4()
        # The walk finds the doors a job is shown through, so the loop below checks them.
        shown = {"detail", "status", "video", "poster", "download", "first_frame", "comments"}
        self.assertLessEqual({f"generations:{name}" for name in shown}, set(JOB_URL_NAMES))
        for name in JOB_URL_NAMES:
            with self.subTest(name):
                self.assertEqual(job_url(name, pk), reverse(name, args=[pk]))

    @override_settings(FORCE_SCRIPT_NAME="/studio/")
    def test_under_a_script_prefix_too(self):
        pk = uuid.uuid4()
        set_script_prefix("/studio/")
        try:
            self.assertEqual(job_url("generations:poster", pk), f"/studio/videos/{pk}/poster.jpg")
            self.assertEqual(
                job_url("generations:poster", pk), reverse("generations:poster", args=[pk])
            )
        finally:
            set_script_prefix("/")

    def test_a_name_without_a_job_id_is_refused(self):
        with self.assertRaises(NoReverseMatch):
            job_url("generations:index", uuid.uuid4())


class PageUrlTests(SimpleTestCase):
    def test_the_header_s_links_are_the_ones_reverse_gives(self):
        for name in ("generations:index", "generations:poll", "logout"):
            with self.subTest(name):
                self.assertEqual(page_url(name), reverse(name))

    @override_settings(FORCE_SCRIPT_NAME="/studio/")
    def test_under_a_script_prefix_too(self):
        set_script_prefix("/studio/")
        try:
            self.assertEqual(page_url("generations:index"), "/studio/")
            self.assertEqual(page_url("generations:create"), reverse("generations:create"))
        finally:
            set_script_prefix("/")


class JobItemUrlTests(SimpleTestCase):
    def test_a_comment_s_links_are_the_ones_reverse_gives(self):
        pk = uuid.uuid4()
        for name in ("comment_edit", "comment_delete", "comment_resolve"):
            with self.subTest(name):
                self.assertEqual(
                    job_item_url(f"generations:{name}", pk, 4321),
                    reverse(f"generations:{name}", args=[pk, 4321]),
                )

    @override_settings(FORCE_SCRIPT_NAME="/studio/")
    def test_under_a_script_prefix_too(self):
        pk = uuid.uuid4()
        set_script_prefix("/studio/")
        try:
            self.assertEqual(
                job_item_url("generations:comment_edit", pk, 7),
                reverse("generations:comment_edit", args=[pk, 7]),
            )
        finally:
            set_script_prefix("/")
