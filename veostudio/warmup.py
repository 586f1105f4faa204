"""Work a web process would otherwise do on its first requests, done as it starts: every
view module imported and every template of ours compiled into the cached loader.

Without it the first poll after a restart also compiled the card's templates: 18 ms instead
of 6 on a quiet machine, and about 100 ms while the workers were starting beside it.
"""

import logging
import sys
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template import TemplateSyntaxError, engines
from django.urls import get_resolver

log = logging.getLogger(__name__)


def our_template_names() -> list[str]:
    """The project's own templates (templates/ and each of our apps' templates/), by the
    names views ask for them."""
    roots = [Path(folder) for folder in engines["django"].dirs]
    # A virtualenv may sit inside the project (.venv): its apps are not ours.
    installed = Path(sys.prefix).resolve()
    roots += [
        Path(app.path) / "templates"
        for app in apps.get_app_configs()
        if Path(app.path).is_relative_to(settings.BASE_DIR)
        and not Path(app.path).resolve().is_relative_to(installed)
    ]
    return sorted(
        str(path.relative_to(root))
        for root in roots
        if root.is_dir()
        for path in root.rglob("*.html")
    )


def warm_up() -> int:
    """Returns how many templates were compiled."""
    get_resolver().url_patterns  # noqa: B018 - importing every view module is the point
    engine = engines["django"]
    compiled = 0
    for name in our_template_names():
        try:
            engine.get_template(name)
        except TemplateSyntaxError:
            # The page that uses it answers with the error, as without warming up; a
            # process that will not start helps nobody.
            log.exception("template %s does not compile", name)
            continue
        compiled += 1
    return compiled
