from django.conf import settings
from django.utils.functional import SimpleLazyObject

from .models import Generation, latest_account_problem
from .prepared import Prepared

# The header's running jobs (Generation.objects.running_for), asked on every page.
RUNNING = Prepared(
    lambda owner_pk: (
        Generation.objects.filter(owner_id=owner_pk)
        .active()
        .order_by()
        .values_list("pk", flat=True)[:50]
    ),
    Generation._meta.get_field("owner").target_field,
)


def running_ids(user) -> list[str]:
    """`Generation.objects.running_for(user)`, from the query built once per process."""
    to_python = Generation._meta.pk.to_python
    return [str(to_python(pk)) for (pk,) in RUNNING.rows(user.pk)]


def studio(request):
    context = {"demo_mode": settings.DEMO_MODE, "account_problem": "", "running_jobs": []}
    user = getattr(request, "user", None)
    # Partials have no banner: a poll must not pay for a query it cannot show.
    is_partial = bool(getattr(request, "htmx", False)) and not request.htmx.history_restore_request
    if user is not None and user.is_staff and not is_partial:
        context["account_problem"] = latest_account_problem()
    if user is not None and user.is_authenticated and not is_partial:
        # Lazy: fragments rendered with this request never show the header, so never ask.
        context["running_jobs"] = SimpleLazyObject(lambda: running_ids(user))
    return context
