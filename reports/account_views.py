"""The account pages every person runs themselves: log in, forgot my password, set and
change my password. Django's auth views, in the studio's own look."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters

from billing.models import AuditEntry
from generations.errors import admin_names

from .accounts import ForgotPasswordForm, StudioLoginForm, links

login = auth_views.LoginView.as_view(authentication_form=StudioLoginForm)

set_password = auth_views.PasswordResetConfirmView.as_view(
    token_generator=links, success_url=reverse_lazy("password_reset_complete")
)
set_password_done = auth_views.PasswordResetCompleteView.as_view()


class ChangePassword(auth_views.PasswordChangeView):
    success_url = reverse_lazy("generations:index")

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session logged in
        AuditEntry.record("password_changed", actor=self.request.user, subject=self.request.user)
        messages.success(self.request, "Your password is changed.")
        return response


change_password = ChangePassword.as_view()


@login_not_required
@sensitive_post_parameters()
def forgot_password(request: HttpRequest) -> HttpResponse:
    if not settings.EMAIL_HOST_CONFIGURED:
        # No mail to send it with: say whom to ask instead of offering a form that can't work.
        return render(request, "registration/forgot_password.html", {"admins": admin_names()})
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.send(request)
        return redirect("forgot_password_sent")
    return render(request, "registration/forgot_password.html", {"form": form, "mail": True})


@login_not_required
def forgot_password_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/forgot_password_sent.html", {"admins": admin_names()})
