from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing import ledger
from billing.models import (
    AuditEntry,
    LedgerEntry,
    Member,
    Price,
    StudioSettings,
)
from generations import slots
from generations.access import admin_required, is_admin
from generations.forms import usable_projects
from generations.models import Generation, Project, Role, Teammate
from generations.price_box import PriceBox
from lib.cometapi import CometAPIError, query_quota
from lib.csvfile import csv_response
from veo.catalogue import EIGHT_SECONDS_ONLY, TIERS, Seconds, Size, Tier, VideoModel, size_name

from . import accounts, audit, usage
from .forms import (
    AuditFilterForm,
    HandOverForm,
    MemberForm,
    PricesForm,
    TeammateForm,
    TeamSettingsForm,
)

User = get_user_model()


# --- the price before Generate -------------------------------------------------------------

# The catalogue's values, listed once: a `Choices.values` lists them anew at every call.
_MODELS, _SIZES = frozenset(VideoModel.values), frozenset(Size.values)
_SECONDS = frozenset(Seconds.values)


def estimate(request: HttpRequest) -> HttpResponse:
    context = estimate_context(request.user, request.GET)
    return render(request, "billing/_estimate.html#body", context)


def estimate_context(
    user,
    data,
    usable_projects: list[Project] | None = None,
    studio: StudioSettings | None = None,
    read: PriceBox | None = None,
) -> dict:
    """The price box's figures for the form's `data`; `usable_projects`, `studio` and
    `read`: the projects the person may use, the studio's settings and the price box's
    reads (used when they are for the model and tier asked), when the caller already read
    them (the New video form has)."""
    model = data.get("model") if data.get("model") in _MODELS else VideoModel.FAST
    size = data.get("size") if data.get("size") in _SIZES else Size.LANDSCAPE_720
    try:
        seconds = int(data.get("seconds") or Seconds.FOUR)
    except ValueError:
        seconds = Seconds.FOUR
    seconds = seconds if seconds in _SECONDS else Seconds.FOUR
    try:
        takes = min(max(int(data.get("takes") or 1), 1), 4)
    except ValueError:
        takes = 1
    tier = TIERS.get(size, Tier.P720)
    if read is None or (read.model, read.tier) != (model, tier):
        read = usage.price_box_reads(user, model, tier, studio)
    quote = ledger.estimate(model, size, seconds, takes, studio=read.studio, listed=read.listed)
    where = ledger.standing(user, studio=read.studio, totals=read.totals, member=read.member)
    over = not where.allows(quote.amount)
    refusal = ledger.refusal(user, quote.amount, where) if over else ""
    project_where = _project_standing(user, data.get("project"), usable_projects)
    if project_where is not None and not project_where.allows(quote.amount):
        if not over or (where.left is not None and project_where.left <= where.left):  # type: ignore[operator]
            refusal = ledger.project_refusal(user, quote.amount, project_where)
        over = True
    return {
        "quote": quote,
        "eight_only": size in EIGHT_SECONDS_ONLY and seconds != quote.seconds,
        "size_label": size_name(size),
        "where": where,
        "over": over,
        "refusal": refusal,
        "project_where": project_where,
    }


def _project_standing(user, chosen, usable=None) -> ledger.ProjectStanding | None:
    """The chosen project's budget as the form's estimate shows it (None: no project, one
    the person may not use, or one without a budget)."""
    if isinstance(chosen, Project):
        project: Project | None = chosen
    else:
        try:
            pk = int(chosen or 0)
        except (TypeError, ValueError):
            return None
        if not pk:
            return None
        if usable is None:
            project = usable_projects(user).filter(pk=pk).first()
        elif any(candidate.pk == pk for candidate in usable):
            project = Project.objects.filter(pk=pk).first()
        else:
            project = None
    if project is None or not project.has_budget:
        return None
    return ledger.project_standing(project.budget())


@admin_required
@require_POST
def resolve(request: HttpRequest, entry_id: int) -> HttpResponse:
    """An admin's verdict on a reservation nobody else can settle (uncertain, stopped)."""
    verdict = request.POST.get("verdict")
    if verdict not in ("charged", "not_charged"):
        messages.error(request, "Please choose whether CometAPI charged it.")
        return redirect("billing:usage")
    try:
        entry = Generation.objects.resolve_reservation(entry_id, verdict, request.user)
    except LedgerEntry.DoesNotExist:
        raise Http404("No such open reservation") from None
    except ledger.CannotResolve as refusal:
        messages.error(request, refusal.message)
        return redirect("billing:usage")
    said = "charged" if verdict == "charged" else "not charged"
    messages.success(
        request,
        f"Recorded as {said}: {ledger.dollars(entry.charged)} for job {entry.generation_ref}.",
    )
    return redirect("billing:usage")


# --- usage -------------------------------------------------------------------------------


def usage_page(request: HttpRequest) -> HttpResponse:
    person: Any = request.user
    team = False
    if is_admin(request.user):
        # An admin lands on the team's month; their own is one chip away.
        if (request.GET.get("person") or "team") == "team":
            person, team = None, True
        else:
            wanted = request.GET["person"]
            person = get_object_or_404(User, pk=int(wanted) if wanted.isdigit() else 0)
    # The verdicts are the admins': on their own page they see every job waiting for one.
    verdicts_for = None if is_admin(request.user) and person == request.user else person
    if person is None:
        history, standing, any_open = usage.history(None), None, None
    else:
        mine = usage.person_usage(person, verdicts_for)
        history, standing, any_open = mine.history, mine.standing, mine.awaiting_verdicts
    context = {
        "person": person,
        "team": team,
        "month": history.month,
        "month_names": usage.month_names(history.month.first),
        "months": history.months,
        "month_rows": usage.month_rows(history.months),
        "chart": history.chart(),
        "open_reservations": usage.open_reservations(verdicts_for, any_open),
        "unreserved": usage.rendered_unreserved(verdicts_for) if is_admin(request.user) else [],
        "standing": standing,
    }
    if is_admin(request.user):
        context["people"] = usage.per_person()
        by_project = usage.per_project()
        context["by_project"] = by_project
        context["project_chart"] = usage.project_chart(by_project)
    return render(request, "billing/usage.html", context)


@admin_required
def usage_csv(request: HttpRequest) -> HttpResponse:
    rows = LedgerEntry.objects.select_related("person").order_by("created_at", "pk")
    names = dict(Project.objects.values_list("pk", "name"))
    return csv_response(
        "veostudio-ledger.csv",
        [
            "time",
            "day",
            "person",
            "job",
            "project",
            "entry",
            "reason",
            "rate",
            "seconds",
            "amount",
            "reserved change",
            "charged change",
        ],  # fmt: skip
        (
            [
                timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                entry.day,
                entry.person.get_username(),
                entry.generation_ref,
                names.get(entry.project_ref, "") if entry.project_ref is not None else "",
                entry.kind,
                entry.reason,
                entry.rate,
                entry.seconds,
                entry.amount,
                entry.reserved,
                entry.charged,
            ]
            for entry in rows.iterator()
        ),
    )


@admin_required
def usage_projects_csv(request: HttpRequest) -> HttpResponse:
    """Each project's money per month, the last 12 months: for charging a client back."""
    return csv_response(
        "veostudio-usage-by-project.csv",
        ["month", "project", "project id", "charged", "held", "seconds made", "videos made"],
        usage.per_project_months(),
    )


@admin_required
def quota(request: HttpRequest) -> HttpResponse:
    context: dict = {}
    key = settings.COMETAPI_QUERY_KEY or settings.COMETAPI_KEY or "demo"
    try:
        context["quota"] = query_quota(
            settings.COMETAPI_QUOTA_URL, key, timeout=settings.COMETAPI_READ_TIMEOUT
        )
    except CometAPIError as error:
        context["error"] = error.message
    return render(request, "billing/_quota.html", context)


# --- prices --------------------------------------------------------------------------------


@admin_required
def prices(request: HttpRequest) -> HttpResponse:
    rows = Price.table()
    studio = StudioSettings.load()
    initial = {
        "discount_percent": studio.discount_percent,
        "failed_tasks_charged": studio.failed_tasks_charged,
    }
    form = PricesForm(request.POST or None, prices=rows, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for price, field in form.rows():
                new = form.cleaned_data[field.name]
                if new != price.list_per_second:
                    AuditEntry.record(
                        "price_changed",
                        actor=request.user,
                        detail=f"{field.label}: ${price.list_per_second}/s → ${new}/s",
                    )
                    price.list_per_second = new
                    price.updated_at = timezone.now()
                    price.save(update_fields=["list_per_second", "updated_at"])
            changed = [
                f"{name}: {getattr(studio, name)} → {form.cleaned_data[name]}"
                for name in ("discount_percent", "failed_tasks_charged")
                if getattr(studio, name) != form.cleaned_data[name]
            ]
            if changed:
                studio.discount_percent = form.cleaned_data["discount_percent"]
                studio.failed_tasks_charged = form.cleaned_data["failed_tasks_charged"]
                studio.save(update_fields=["discount_percent", "failed_tasks_charged"])
                AuditEntry.record("settings_changed", actor=request.user, detail="; ".join(changed))
        messages.success(request, "Prices saved. New jobs are priced with them.")
        return redirect("billing:prices")
    return render(request, "billing/prices.html", {"form": form, "studio": studio})


# --- the team ------------------------------------------------------------------------------


@admin_required
def team(request: HttpRequest) -> HttpResponse:
    return _team_page(request)


def _team_page(request, *, add_form=None, settings_form=None, status=200):
    studio = StudioSettings.load()
    people = []
    roles = dict(Teammate.objects.values_list("user_id", "role"))
    for person in User.objects.order_by("username"):
        member = Member.for_user(person)
        people.append(
            {
                "user": person,
                "member": member,
                "spent": usage.month(person),
                "role": roles.get(person.pk, "member") if not person.is_staff else "admin",
                "form": MemberForm(
                    initial={
                        "monthly_cap": _cents(member.monthly_cap),
                        "concurrency": member.concurrency,
                        "is_admin": person.is_staff,
                    },
                    prefix=f"m{person.pk}",
                ),
            }
        )
    context = {
        "people": people,
        "add_form": add_form or TeammateForm(),
        "settings_form": settings_form
        or TeamSettingsForm(
            initial={
                "team_cap": _cents(studio.team_cap),
                "team_concurrency": studio.team_concurrency,
            }
        ),
        "team_month": usage.month(None),
        "studio": studio,
        "invite": _shown_link(request),
    }
    return render(request, "billing/team.html", context, status=status)


# The latest link an admin made stays on the People page (in their session, not in a form
# to re-post) until it is used, replaced, dismissed or an hour old: a reload keeps it.
LINK_SESSION_KEY = "people_link"
LINK_SHOWN_SECONDS = 3600


def _keep_link(request, person, path: str, mailed: bool) -> None:
    request.session[LINK_SESSION_KEY] = {
        "user_id": person.pk,
        "path": path,
        "mailed": mailed,
        "at": timezone.now().timestamp(),
    }


def _shown_link(request) -> dict | None:
    kept = request.session.get(LINK_SESSION_KEY)
    if not kept:
        return None
    person = User.objects.filter(pk=kept["user_id"]).first()
    fresh = timezone.now().timestamp() - kept["at"] < LINK_SHOWN_SECONDS
    if person is None or not fresh or not accounts.link_works(person, kept["path"]):
        del request.session[LINK_SESSION_KEY]
        return None
    return {
        "user": person,
        "link": request.build_absolute_uri(kept["path"]),
        "mailed": kept["mailed"],
    }


def _mail_link(request, person, path: str, *, first: bool) -> bool:
    if not (person.email and settings.EMAIL_HOST_CONFIGURED):
        return False
    link = request.build_absolute_uri(path)
    if first:
        subject = "Your VeoStudio account"
        body = f"{request.user.get_username()} added you to VeoStudio. "
    else:
        subject = "A new VeoStudio set-password link"
        body = f"{request.user.get_username()} made you a new VeoStudio set-password link. "
    send_mail(subject, body + f"Choose your password here (the link works once): {link}", None,
              [person.email])  # fmt: skip
    return True


@admin_required
@require_POST
def team_add(request: HttpRequest) -> HttpResponse:
    form = TeammateForm(request.POST)
    if not form.is_valid():
        return _team_page(request, add_form=form, status=400)
    data = form.cleaned_data
    role = data["role"]
    with transaction.atomic():
        person = User.objects.create_user(
            username=data["username"], email=data["email"], is_staff=role == "admin"
        )  # no password yet: only the one-time link below can set it
        member = Member.for_user(person)
        member.monthly_cap = data["monthly_cap"]
        member.save(update_fields=["monthly_cap"])
        if role == Role.REVIEWER:
            Teammate.set_role(person, Role.REVIEWER)
        AuditEntry.record(
            "added_teammate",
            actor=request.user,
            subject=person,
            detail=f"{role}, cap {_cap(member.monthly_cap)}",
        )
    path = accounts.set_password_path(person)
    _keep_link(request, person, path, _mail_link(request, person, path, first=True))
    return redirect(reverse("billing:team") + "#invite")


@admin_required
@require_POST
def team_link(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new set-password link for someone (lost their invitation, forgot their password);
    every link made for them before stops working."""
    person = get_object_or_404(User, pk=user_id, is_active=True)
    path = accounts.new_link(person)
    mailed = _mail_link(request, person, path, first=False)
    AuditEntry.record(
        "new_link", actor=request.user, subject=person, detail="the older ones stopped"
    )
    _keep_link(request, person, path, mailed)
    return redirect(reverse("billing:team") + "#invite")


@admin_required
@require_POST
def team_link_done(request: HttpRequest) -> HttpResponse:
    request.session.pop(LINK_SESSION_KEY, None)
    return redirect("billing:team")


def role_of(person) -> str:
    """ "admin" (staff), "member" or "reviewer"."""
    return "admin" if person.is_staff else Teammate.role_of(person)


def set_role(person, role: str) -> None:
    """Admin is the staff flag; member and reviewer are the person's Teammate row."""
    if person.is_staff != (role == "admin"):
        person.is_staff = role == "admin"
        person.save(update_fields=["is_staff"])
    Teammate.set_role(person, Role.MEMBER if role == "admin" else role)


def _cents(value):
    return None if value is None else value.quantize(ledger.CENT)


def _cap(value) -> str:
    return "none" if value is None else ledger.dollars(value)


@admin_required
@require_POST
def team_member(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(User, pk=user_id)
    action = request.POST.get("action", "save")
    if action == "deactivate":
        return redirect("billing:team_deactivate", user_id=person.pk)  # asks first
    if action == "reactivate":
        person.is_active = True
        person.save(update_fields=["is_active"])
        AuditEntry.record("reactivated", actor=request.user, subject=person)
        messages.success(
            request,
            f"{person.get_username()} is switched back on. Make them a new set-password link "
            "if they need one: the old ones stopped when they were switched off.",
        )
        return redirect("billing:team")
    form = MemberForm(request.POST, prefix=f"m{person.pk}")
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nothing saved for {person.get_username()}: {errors}")
        return redirect("billing:team")
    data = form.cleaned_data
    with transaction.atomic():
        ledger.lock(person)  # a reservation checking this cap waits for the new value
        member = Member.objects.get(user=person)
        if member.monthly_cap != data["monthly_cap"] or member.concurrency != data["concurrency"]:
            AuditEntry.record(
                "cap_changed",
                actor=request.user,
                subject=person,
                detail=f"cap {_cap(member.monthly_cap)} → {_cap(data['monthly_cap'])}, "
                f"jobs at once {member.concurrency} → {data['concurrency']}",
            )
            member.monthly_cap = data["monthly_cap"]
            member.concurrency = data["concurrency"]
            member.save(update_fields=["monthly_cap", "concurrency"])
        before = role_of(person)
        wanted = data["role"] or (
            "admin" if data["is_admin"] else (before if before != "admin" else "member")
        )
        if wanted != before:
            if person == request.user:
                messages.error(request, "You cannot remove your own admin role.")
                return redirect("billing:team")
            set_role(person, wanted)
            AuditEntry.record(
                "role_changed",
                actor=request.user,
                subject=person,
                detail=f"made {wanted} (was {before})",
            )
    messages.success(request, f"Saved {person.get_username()}.")
    return redirect("billing:team")


@admin_required
def team_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    """GET: what switching this person off will do. POST: do it."""
    person = get_object_or_404(User, pk=user_id)
    if person == request.user:
        messages.error(request, "You cannot deactivate yourself.")
        return redirect("billing:team")
    if not person.is_active:
        return redirect("billing:team_videos", user_id=person.pk)
    if request.method == "POST":
        done = accounts.deactivate(person, request.user)
        messages.success(
            request,
            f"{person.get_username()} is switched off: logged out everywhere, their "
            f"set-password links stopped, {_jobs(done.cancelled)} cancelled for free.",
        )
        return redirect("billing:team_videos", user_id=person.pk)
    videos = Generation.objects.filter(owner=person)
    context = {
        "person": person,
        "waiting": accounts.waiting_jobs(person).count(),
        "running": videos.active().count(),
        "videos": videos.count(),
    }
    return render(request, "billing/team_deactivate.html", context)


def _jobs(count: int) -> str:
    return "no waiting job" if count == 0 else f"{count} waiting job{'s' if count > 1 else ''}"


@admin_required
def team_videos(request: HttpRequest, user_id: int) -> HttpResponse:
    """A switched-off person's videos, private ones included, and handing them over."""
    person = get_object_or_404(User, pk=user_id, is_active=False)
    videos = Generation.objects.filter(owner=person).order_by("-created_at")
    form = HandOverForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_valid():
        chosen = (
            videos
            if form.cleaned_data["everything"]
            else videos.filter(pk__in=form.cleaned_data["ids"])
        )
        new_owner = form.cleaned_data["to"]
        moved = accounts.hand_over(request.user, person, new_owner, chosen)
        left = videos.count()
        noun = "video" if moved == 1 else "videos"
        messages.success(
            request,
            f"Handed {moved} {noun} over to {new_owner.get_username()}."
            + (f" {left} still being made or not chosen stay here." if left else ""),
        )
        return redirect("billing:team_videos", user_id=person.pk)
    context = {"person": person, "videos": videos, "form": form}
    return render(request, "billing/team_videos.html", context, status=400 if form.errors else 200)


@admin_required
@require_POST
def team_settings(request: HttpRequest) -> HttpResponse:
    form = TeamSettingsForm(request.POST)
    if not form.is_valid():
        return _team_page(request, settings_form=form, status=400)
    with transaction.atomic():
        StudioSettings.load()
        studio = StudioSettings.objects.select_for_update().get(pk=1)
        before = f"cap {_cap(studio.team_cap)}, jobs at once {studio.team_concurrency}"
        studio.team_cap = form.cleaned_data["team_cap"]
        studio.team_concurrency = form.cleaned_data["team_concurrency"]
        studio.save(update_fields=["team_cap", "team_concurrency"])
        after = f"cap {_cap(studio.team_cap)}, jobs at once {studio.team_concurrency}"
        if before != after:
            AuditEntry.record("cap_changed", actor=request.user, detail=f"team {before} → {after}")
    transaction.on_commit(_dispatch)
    messages.success(request, "Team limits saved.")
    return redirect("billing:team")


def _dispatch() -> None:
    slots.dispatch()  # a raised team limit lets waiting jobs go at once


# --- the audit log -------------------------------------------------------------------------


def _audit_lines(request):
    form = AuditFilterForm(request.GET or None)
    filters: dict = {"viewer": request.user}
    if form.is_valid():
        data = form.cleaned_data
        filters.update(person=data["person"], action=data["action"])
        if data["since"]:
            filters["since"] = _start_of(data["since"])
        if data["until"]:
            filters["until"] = _start_of(data["until"] + timedelta(days=1))
    return form, audit.lines(**filters)


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


@admin_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form, lines = _audit_lines(request)
    return render(
        request,
        "billing/audit.html",
        {"form": form, "lines": lines, "query": request.GET.urlencode()},
    )


@admin_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    _, lines = _audit_lines(request)
    return csv_response(
        "veostudio-audit.csv",
        ["time", "who", "action", "about", "detail", "amount", "job"],
        (
            [
                timezone.localtime(line.at).isoformat(timespec="seconds"),
                line.who,
                line.action,
                line.about,
                line.detail,
                line.amount,
                line.generation_ref,
            ]
            for line in lines
        ),
    )
