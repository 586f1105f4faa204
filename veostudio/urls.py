from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from generations import health

admin.site.site_header = "VeoStudio administration"
admin.site.site_title = "VeoStudio admin"

handler404 = "generations.team_views.not_found"

# Only the auth pages the product uses: admins set and reset passwords in the admin,
# so the public password-reset and password-change pages are not mounted at all.
urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("generations.urls")),
]
