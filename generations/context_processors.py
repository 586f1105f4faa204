from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .access import is_admin
from .frame import person_news
from .models import latest_account_problem


def studio(request):
    context = {"demo_mode": settings.DEMO_MODE, "account_problem": "", "running_jobs": []}
    user = getattr(request, "user", None)
    # Partials have no banner: a poll must not pay for a query it cannot show.
    is_partial = bool(getattr(request, "htmx", False)) and not request.htmx.history_restore_request
    if is_admin(user) and not is_partial:
        context["account_problem"] = latest_account_problem()
    if user is not None and user.is_authenticated and not is_partial:
        # Lazy: fragments rendered with this request never show the header, so never ask.
        # The header's jobs pill and bell are read together (one query, frame.person_news).
        news = SimpleLazyObject(lambda: person_news(user))
        context["person_news"] = news
        context["running_jobs"] = SimpleLazyObject(lambda: news.running)
    return context
