from django.conf import settings

from .models import Generation, Status


def studio(request):
    context = {"demo_mode": settings.DEMO_MODE, "account_problem": ""}
    user = getattr(request, "user", None)
    if user is not None and user.is_staff:
        context["account_problem"] = _account_problem()
    return context


def _account_problem() -> str:
    """Tell admins when the latest job CometAPI answered was refused for the key or credit."""
    latest = (
        Generation.objects.exclude(status__in=[Status.WAITING])
        .order_by("-updated_at")
        .values_list("error_code", flat=True)
        .first()
    )
    if latest and latest.startswith("auth"):
        return (
            "CometAPI rejected the studio's API key. Set a valid COMETAPI_KEY in the "
            "server's .env and restart VeoStudio."
        )
    if latest and latest.startswith("quota"):
        return "The CometAPI account is out of credit. Top it up, then retry the failed videos."
    return ""
