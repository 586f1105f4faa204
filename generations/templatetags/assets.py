"""`{% asset "css/app.css" %}`: `{% static %}`, worked out once per process.

With hashed file names every `{% static %}` looks its file up in the manifest and joins URLs
again, on every page; the answer only changes with a deploy, which starts new processes.
"""

from functools import cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static

register = template.Library()


@register.simple_tag
def asset(path: str) -> str:
    return _url(path)


@cache
def _url(path: str) -> str:
    return static(path)


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs) -> None:
    if setting in {"STATIC_URL", "STORAGES"}:
        _url.cache_clear()
