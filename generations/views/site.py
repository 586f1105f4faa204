"""What the site answers outside any page."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    # Browsers and the admin ask for /favicon.ico by that name.
    return redirect(static("favicon.ico"), permanent=True)
