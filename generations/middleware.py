from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
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
