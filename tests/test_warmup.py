"""A web process compiles our templates as it starts, so the first poll after a restart
costs what every later one does."""

import os
import subprocess
import sys
from pathlib import Path

from django.template import engines
from django.test import SimpleTestCase

from veostudio.warmup import our_template_names, warm_up

ROOT = Path(__file__).resolve().parent.parent


class WarmUpTests(SimpleTestCase):
    def test_every_template_of_ours_is_compiled_before_the_first_request(self):
        loader = engines["django"].engine.template_loaders[0]
        loader.reset()
        compiled = warm_up()
        names = our_template_names()
        self.assertEqual(compiled, len(names))
        self.assertEqual(len(names), len(ours()))
        self.assertNotIn("admin/base.html", names)  # Django's own, from the virtualenv
        self.assertIn("generations/_card.html", names)  # what the page's poll draws
        self.assertIn("billing/_slot_wait.html", names)
        self.assertEqual([name for name in names if name not in loader.get_template_cache], [])

    def test_loading_the_wsgi_application_warms_it_up(self):
        script = (
            "import veostudio.wsgi\n"
            "from django.template import engines\n"
            "from veostudio.warmup import our_template_names\n"
            "kept = engines['django'].engine.template_loaders[0].get_template_cache\n"
            "print(sum(name in kept for name in our_template_names()), len(our_template_names()))"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "veostudio.settings"}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
        )
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        kept, total = map(int, done.stdout.split()[-2:])
        self.assertEqual(total, len(ours()))
        self.assertEqual(kept, total)


def ours() -> list[Path]:
    """Our templates as the repository holds them: templates/ and each app's templates/,
    never a virtualenv's."""
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return [path for folder in folders if folder.is_dir() for path in folder.rglob("*.html")]
