from django.contrib import admin
from django.urls import include, path

from generations import views

admin.site.site_header = "VeoStudio administration"
admin.site.site_title = "VeoStudio admin"

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("", include("billing.urls")),
    path("", include("generations.urls")),
]
