from django.contrib import admin
from django.urls import include, path

from generations import views

admin.site.site_header = "VeoStudio administration"
admin.site.site_title = "VeoStudio admin"

handler404 = "generations.team_views.not_found"

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", include("generations.urls")),
]
