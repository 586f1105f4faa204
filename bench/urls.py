from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from bench import without

without.apply()


def floor(request: HttpRequest) -> HttpResponse:
    """The cheapest page a logged-in person can ask for: session, user, middleware, no query
    of our own. Every page's time is reported as a multiple of this one."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor),
    path("", include("veostudio.urls")),
]
