from django.conf import settings


def studio(request):
    return {"demo_mode": settings.DEMO_MODE}
