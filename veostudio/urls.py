from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from generations import health

admin.site.site_header = "VeoStudio administration"
admin.site.site_title = "VeoStudio admin"

# Only the auth pages the product uses: admins set and reset passwords in the admin,
# so the public password-reset and password-change pages are not mounted at all. The
# set-password page is, for the one-time links the Team page makes: it needs the link's
# token, and nothing lets a stranger ask for one.
urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("billing.urls")),
    path("", include("generations.urls")),
]
