"""People's accounts: set-password links, logging in, forgotten passwords, and what
deactivating someone does (sessions, links, waiting jobs, their videos).

Reads and writes Member and the audit entries (billing); the jobs themselves change only
through their own model methods (`cancel_for`, `hand_over_for`).
"""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from billing.models import AuditEntry, Member
from generations.errors import admin_names
from generations.models import Generation

User = get_user_model()

# A forgotten-password mail per account at most this often, whatever anyone types.
RESET_MAILS_PER_HOUR = 3


class SetPasswordLinks(PasswordResetTokenGenerator):
    """Django's reset tokens, also signed with whether the account is on and its link
    version: deactivating someone or making them a new link kills every older link, even
    for a person who never chose a password (whose password hash never changes)."""

    def _make_hash_value(self, user, timestamp) -> str:
        version = Member.objects.filter(user=user).values_list("link_version", flat=True).first()
        return f"{super()._make_hash_value(user, timestamp)}|{user.is_active}|{version or 0}"


links = SetPasswordLinks()


def set_password_path(person) -> str:
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
            "token": links.make_token(person),
        },
    )


def kill_links(person) -> None:
    """Every set-password link made for `person` so far stops working."""
    Member.for_user(person)
    Member.objects.filter(user=person).update(link_version=F("link_version") + 1)


def new_link(person) -> str:
    """A fresh set-password path for `person`; the ones made before it stop working."""
    kill_links(person)
    return set_password_path(person)


def link_works(person, path: str) -> bool:
    token = path.rstrip("/").rsplit("/", 1)[-1]
    return links.check_token(person, token)


def end_sessions(person) -> int:
    """Log `person` out everywhere: their sessions are deleted, so a cookie kept from
    before does not come back to life when the account is switched on again."""
    ended = 0
    wanted = str(person.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == wanted:
            session.delete()
            ended += 1
    return ended


def waiting_jobs(person):
    """Jobs of `person` still waiting in the app: cancelling them costs nothing."""
    return Generation.objects.waiting_for_slot().filter(owner=person)


@dataclass
class Deactivation:
    sessions: int
    cancelled: int


def deactivate(person, admin) -> Deactivation:
    """Switch an account off and finish the job: sessions, links and waiting jobs."""
    with transaction.atomic():
        sessions = end_sessions(person)
        person.is_active = False
        person.save(update_fields=["is_active"])
        kill_links(person)
    cancelled = sum(job.cancel_for(admin) for job in waiting_jobs(person))
    AuditEntry.record(
        "deactivated",
        actor=admin,
        subject=person,
        detail=f"ended {sessions} session(s), cancelled {cancelled} waiting job(s) for free",
    )
    return Deactivation(sessions, cancelled)


def hand_over(admin, person, new_owner, generations) -> int:
    """Give `person`'s finished videos to `new_owner`; returns how many moved."""
    moved = sum(job.hand_over_for(admin, new_owner) for job in generations)
    if moved:
        AuditEntry.record(
            "handed_over",
            actor=admin,
            subject=person,
            detail=f"{moved} video(s) from {person.get_username()} to {new_owner.get_username()}",
        )
    return moved


def _switched_off_elsewhere(sender, instance, raw=False, **kwargs) -> None:
    """However an account is switched off (the Django admin's Active box, a script), its
    sessions end: otherwise an old cookie works again the day it is switched back on."""
    if raw or instance.pk is None or instance.is_active:
        return
    if User.objects.filter(pk=instance.pk, is_active=True).exists():
        end_sessions(instance)  # were the save rolled back, a logout would be all it cost


def connect_signals() -> None:
    pre_save.connect(_switched_off_elsewhere, sender=User, dispatch_uid="reports.accounts.off")


# --- logging in and forgotten passwords ------------------------------------------------------


class StudioLoginForm(AuthenticationForm):
    """Django's login form, which also tells a switched-off person so, but only once they
    gave the right password: to anyone else the answer is the usual one."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            if error.code == "invalid_login" and self._switched_off():
                raise ValidationError(
                    f"This account is switched off; ask {admin_names()} to switch it back on.",
                    code="inactive",
                ) from None
            raise

    def _switched_off(self) -> bool:
        if getattr(self.request, "axes_locked_out", False):
            return False  # locked out: no password is checked at all
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        person = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        return bool(person and not person.is_active and person.check_password(password))


class ForgotPasswordForm(forms.Form):
    name = forms.CharField(label="Your username or e-mail address", max_length=254)

    def people(self):
        """Active people with an e-mail address that `name` names, those who never chose a
        password included (Django's own form skips them)."""
        name = self.cleaned_data["name"].strip()
        return (
            User.objects.filter(is_active=True)
            .exclude(email="")
            .filter(Q(**{f"{User.USERNAME_FIELD}__iexact": name}) | Q(email__iexact=name))
        )

    def send(self, request) -> int:
        """Mail each person named a set-password link, unless they had enough this hour.
        The page says the same whatever happens here."""
        sent = 0
        for person in self.people():
            if _mailed_lately(person) >= RESET_MAILS_PER_HOUR:
                continue
            link = request.build_absolute_uri(set_password_path(person))
            send_mail(
                "Choose a new VeoStudio password",
                f"Hello {person.get_username()},\n\n"
                "Someone (we hope you) asked for a new VeoStudio password. Choose one here; "
                f"the link works once, for {_days(settings.PASSWORD_RESET_TIMEOUT)}:\n\n"
                f"{link}\n\nIf it was not you, ignore this mail: your password stays as it is.",
                None,
                [person.email],
            )
            AuditEntry.record("reset_link_mailed", subject=person, detail="forgot-password page")
            sent += 1
        return sent


def _mailed_lately(person) -> int:
    since = timezone.now() - timedelta(hours=1)
    return AuditEntry.objects.filter(
        action="reset_link_mailed", subject=person, created_at__gte=since
    ).count()


def _days(seconds: int) -> str:
    days = round(seconds / 86400)
    return "1 day" if days == 1 else f"{days} days"
