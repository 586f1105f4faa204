from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
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
