"""A long prompt shown as a title is cut as Django's truncatechars cuts it, on the quick
path for plain text and through Django's own for the rest."""

from django.template.defaultfilters import truncatechars
from django.test import SimpleTestCase

from generations.templatetags.gallery_tags import shortened


class ShortenedTests(SimpleTestCase):
    def test_every_title_reads_as_truncatechars_would_write_it(self):
        prompts = [
            "",
            "Kite",
            "A kite over a field at dusk",  # 27 characters
            "A kite over a field at dusk, slow dolly in, warm light, 35mm film grain",
            "Un cerf-volant au-dessus d'un champ de blé, lumière dorée, caméra à l'épaule",
            "Cafe\u0301 au lait, une tasse fumante sur une table en bois au petit matin",
            "Kite 🪁 over the hills at dawn, the camera rising with the string",
            '<b>Tags & quotes</b> "stay" as they were written, never escaped here',
        ]
        for prompt in prompts:
            for length in (1, 5, 26, 27, 28, 40, 60, 90):
                with self.subTest(prompt=prompt, length=length):
                    self.assertEqual(shortened(prompt, length), truncatechars(prompt, length))

    def test_a_title_from_the_template_is_cut_with_an_ellipsis(self):
        self.assertEqual(shortened("A kite over a field at dusk", "10"), "A kite ov…")
