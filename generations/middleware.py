from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers
from django_htmx.http import HttpResponseClientRedirect


class HtmxAwareLoginRequiredMiddleware(LoginRequiredMiddleware):
    """An htmx poll after the session expired must send the whole page to the login,
    not swap the login form into the status card."""

    def handle_no_permission(self, request, view_func):
        if request.headers.get("HX-Request") == "true":
            login = redirect_to_login(
                request.headers.get("HX-Current-URL") or request.get_full_path(),
                self.get_login_url(view_func),
                self.get_redirect_field_name(view_func),
            )
            return HttpResponseClientRedirect(login["Location"])
        return super().handle_no_permission(request, view_func)


class NoStoreForLoggedInMiddleware:
    """Pages shown to a logged-in person must not stay in a shared computer's cache (or a
    proxy's) after they log out: the back button would show their videos and prompts.

    Responses that chose their own caching (the private, seekable video files) keep it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response


class RequestBodyLimitMiddleware:
    """Refuse a body over the limit from its Content-Length, before anything reads it.

    Django spools an upload to memory or disk as soon as anything touches request.POST
    (the CSRF check does, for any POST), so without this a stranger could make every
    web process write as much as they care to send. Only the New video form takes a
    picture; every other URL gets the small limit. A body without Content-Length is
    never read by Django at all.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0:
            return HttpResponseBadRequest("Bad Content-Length", content_type="text/plain")
        if length <= min(settings.REQUEST_MAX_BYTES, settings.UPLOAD_REQUEST_MAX_BYTES):
            return self.get_response(request)  # every URL takes this much: no need to resolve
        takes_upload = _view_name(request.path_info) in UPLOAD_VIEWS
        limit = settings.UPLOAD_REQUEST_MAX_BYTES if takes_upload else settings.REQUEST_MAX_BYTES
        if length > limit:
            return render(
                request,
                "request_too_large.html",
                {"picture_limit": settings.FIRST_FRAME_MAX_BYTES, "takes_upload": takes_upload},
                status=413,
            )
        return self.get_response(request)


# The form, and the preview its page asks for the moment a picture is chosen: both take
# the picture the form accepts.
UPLOAD_VIEWS = {"generations:create", "generations:first_frame_preview"}


def _view_name(path: str) -> str:
    try:
        return resolve(path).view_name
    except Resolver404:
        return ""
