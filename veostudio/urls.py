from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from generations import health
from generations.views import site
from reports import account_views

admin.site.site_header = "VeoStudio administration"
admin.site.site_title = "VeoStudio admin"

handler404 = "generations.errors.not_found"
handler403 = "generations.errors.forbidden"

# The account pages, in the studio's own look (reports/account_views.py). Django's own
# password-reset request page is not mounted: "Forgot your password?" is ours, which also
# reaches people who never chose a password and says the same whether a name exists or not.
urlpatterns = [
    # First of all: its page poll (/status/, every few seconds on every open page) and
    # gallery are most of all requests, and each pattern tried before costs a little (none
    # of its paths is one of the account pages', the admin's or the health checks').
    path("", include("generations.urls")),
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.change_password, name="password_change"),
    path("accounts/forgot/", account_views.forgot_password, name="forgot_password"),
    path("accounts/forgot/sent/", account_views.forgot_password_sent, name="forgot_password_sent"),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        account_views.set_password,
        name="password_reset_confirm",
    ),
    path(
        "accounts/set-password/done/",
        account_views.set_password_done,
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("favicon.ico", site.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("inbox.urls")),
    path("", include("reports.urls")),
    path("", include("batches.urls")),
    path("", include("prompts.urls")),
    path("", include("reviewlinks.urls")),
    path("", include("sequences.urls")),
]
