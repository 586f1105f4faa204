"""
WSGI config for veostudio project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/6.1/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veostudio.settings")

application = get_wsgi_application()

from veostudio.warmup import warm_up  # noqa: E402 - needs the apps loaded above

warm_up()
