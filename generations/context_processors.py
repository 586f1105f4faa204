from django.conf import settings

from .models import latest_account_problem


def studio(request):
    context = {"demo_mode": settings.DEMO_MODE, "account_problem": ""}
    user = getattr(request, "user", None)
    # Partials have no banner: a poll must not pay for a query it cannot show.
    is_partial = bool(getattr(request, "htmx", False)) and not request.htmx.history_restore_request
    if user is not None and user.is_staff and not is_partial:
        context["account_problem"] = latest_account_problem()
    return context
