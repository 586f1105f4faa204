"""Money and people: the price table, the studio's settings (one row), each person's cap and
concurrency, the append-only ledger, and the audit entries for things that are not job events.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models.functions import Cast, Round
from django.utils import timezone

from lib.prepared import Prepared
from veo.catalogue import Tier, VideoModel

# Public list prices in dollars per second (Veo 3.1 on Google's price list, 2026-11). The
# first migration writes them; a row found missing later is written again from here.
LIST_PRICES = {
    (VideoModel.STANDARD, Tier.P720): Decimal("0.40"),
    (VideoModel.STANDARD, Tier.P1080): Decimal("0.40"),
    (VideoModel.STANDARD, Tier.K4): Decimal("0.60"),
    (VideoModel.FAST, Tier.P720): Decimal("0.10"),
    (VideoModel.FAST, Tier.P1080): Decimal("0.12"),
    (VideoModel.FAST, Tier.K4): Decimal("0.30"),
}


def money(**options) -> models.DecimalField:
    return models.DecimalField(max_digits=10, decimal_places=4, **options)


class Price(models.Model):
    """List price per second for one model at one tier; the studio discount applies on top."""

    model = models.CharField(max_length=32, choices=VideoModel)
    tier = models.CharField(max_length=8, choices=Tier)
    list_per_second = models.DecimalField(
        max_digits=8,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["model", "tier"]
        constraints = [models.UniqueConstraint(fields=["model", "tier"], name="one_price_per_tier")]

    def __str__(self) -> str:
        return f"{self.get_model_display()} {self.get_tier_display()}: ${self.list_per_second}/s"

    @classmethod
    def table(cls):
        """Every model × tier, writing back any default row that has gone missing (a price
        must never silently become $0)."""
        found = {(p.model, p.tier): p for p in cls.objects.all()}
        for (model, tier), rate in LIST_PRICES.items():
            if (model, tier) not in found:
                found[(model, tier)], _ = cls.objects.get_or_create(
                    model=model, tier=tier, defaults={"list_per_second": rate}
                )
        return sorted(found.values(), key=lambda p: (p.model, p.tier))


# PostgreSQL names an advisory lock by a number: any 64-bit numbers of our own, spelled in
# ASCII ("veoslots", "veomoney", "veoteamc").
ADMISSIONS_LOCK = 0x76656F736C6F7473
TEAM_MONEY_LOCK = 0x76656F6D6F6E6579
TEAM_CAP_LOCK = 0x76656F7465616D63


def _hold(key: int, *, shared: bool = False) -> None:
    """Take an advisory lock until the transaction ends (PostgreSQL). On SQLite the
    transaction is the lock already (IMMEDIATE: one writer at a time)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(%s)", [key])


def lock_admissions() -> None:
    """Take the slots' lock until the transaction ends: one admission at a time (who goes
    to CometAPI next, generations.slots), and no change of the team's limit meanwhile.
    Not the team's money lock: an admission reads the whole queue, and a New video post
    waiting for it waited for nothing of its own."""
    _hold(ADMISSIONS_LOCK)


class StudioSettings(models.Model):
    """The studio's settings, one row (pk=1), read through `load()`: billing's (discount,
    caps, concurrency) and the team's (whether new videos start shared). Money is moved
    under `for_money()`, the team's money lock; slot admissions take their own lock
    (`lock_admissions`). A change of these settings waits for both."""

    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    failed_tasks_charged = models.BooleanField(default=False)
    team_cap = money(null=True, blank=True)
    team_concurrency = models.PositiveSmallIntegerField()
    share_new_videos = models.BooleanField(
        "Share new videos with the team",
        default=False,
        help_text="New videos start shared; their makers can still unshare each one.",
    )
    # "Improve my prompt": what the chat model's tokens cost, in dollars per million.
    prompt_help_input_per_million = models.DecimalField(
        "Prompt help: dollars per million input tokens",
        max_digits=8,
        decimal_places=4,
        default=Decimal("0.60"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
    )
    prompt_help_output_per_million = models.DecimalField(
        "Prompt help: dollars per million output tokens",
        max_digits=8,
        decimal_places=4,
        default=Decimal("2.40"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1000"))],
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "studio settings"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="one_studio_row")]

    def __str__(self) -> str:
        return "Studio settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        with transaction.atomic(savepoint=False):
            if not kwargs.get("force_insert"):  # the first row: nobody has read it yet
                # A team limit lowered while a worker decides who goes waits for the
                # decision, and the next decision reads the new limit; a cap or discount
                # changed while money moves waits for each move in progress.
                lock_admissions()
                _hold(TEAM_MONEY_LOCK)
            super().save(*args, **kwargs)

    @classmethod
    def for_money(cls) -> "StudioSettings":
        """The settings under the team's money lock, until the transaction ends: none of
        them (a cap, the discount) changes meanwhile. The lock is shared: posts by
        teammates go side by side, since a person's cap and the per-minute limit are the
        person's lock (`Member`). Only a team cap is checked against the whole team's
        month, so while there is one its checks take turns (a lock of their own)."""
        _hold(TEAM_MONEY_LOCK, shared=True)
        studio = cls.load()
        if studio.team_cap is not None:
            _hold(TEAM_CAP_LOCK)
        return studio

    @classmethod
    def load(cls) -> "StudioSettings":
        found = STUDIO_ROW.objects(1)
        if found:
            return found[0]
        row, _ = cls.objects.get_or_create(
            pk=1,
            defaults={
                "discount_percent": Decimal(str(settings.BILLING_STUDIO_DISCOUNT_PERCENT)),
                "failed_tasks_charged": settings.BILLING_FAILED_TASKS_CHARGED,
                "team_cap": _money_or_none(settings.BILLING_TEAM_MONTHLY_CAP),
                "team_concurrency": settings.BILLING_TEAM_CONCURRENCY,
            },
        )
        return row


# `StudioSettings.load`'s read, built once per process (read on most requests).
STUDIO_ROW = Prepared(lambda pk: StudioSettings.objects.filter(pk=pk), StudioSettings._meta.pk)


class Member(models.Model):
    """A person's cap and concurrency. Its row lock is the person's lock."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member"
    )
    # Dollars per month; empty means no cap of their own (the team cap still applies).
    monthly_cap = money(null=True, blank=True)
    concurrency = models.PositiveSmallIntegerField()
    # Part of every set-password link's signature: raising it kills the links made before.
    link_version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user} (cap {self.monthly_cap})"

    @classmethod
    def for_user(cls, user) -> "Member":
        member, _ = cls.objects.get_or_create(
            user=user,
            defaults={
                "monthly_cap": _money_or_none(settings.BILLING_PERSON_MONTHLY_CAP),
                "concurrency": settings.BILLING_PERSON_CONCURRENCY,
            },
        )
        return member


def _money_or_none(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


class EntryKind(models.TextChoices):
    RESERVE = "reserve", "Reserved"
    SETTLE = "settle", "Charged"
    RELEASE = "release", "Released"
    # A call to a chat model ("Improve my prompt"): charged at once, nothing reserved.
    PROMPT_HELP = "prompt_help", "Prompt help"


# Money columns are summed as whole ten-thousandths of a dollar: SQLite keeps a DecimalField
# as a float, so its SUM drifts (10,000 entries of $0.0001 came back as $0.999999999999906).
# Rounding each value to an integer before adding is exact on SQLite and PostgreSQL alike.
SCALE = 10_000


def exact_sum(field: str, **options) -> models.Sum:
    ticks = Cast(Round(models.F(field) * SCALE), models.BigIntegerField())
    return models.Sum(ticks, **options)


def from_ticks(value: int | None) -> Decimal:
    return (Decimal(value or 0) / SCALE).quantize(Decimal("0.0001"))


def usage_sums() -> dict[str, models.Aggregate]:
    """What the Usage page adds up over a set of entries; the money ones (USAGE_MONEY) in
    whole ticks, turned into dollars by `from_ticks` once they are added up."""
    return {
        "reserved": exact_sum("reserved"),
        "charged": exact_sum("charged"),
        "not_charged": exact_sum(
            "amount", filter=models.Q(kind=EntryKind.RELEASE, reason="task_failed")
        ),
        "seconds": models.Sum("seconds", filter=models.Q(kind=EntryKind.SETTLE)),
        "videos": models.Count("pk", filter=models.Q(kind=EntryKind.SETTLE)),
        "prompt_help": exact_sum("amount", filter=models.Q(kind=EntryKind.PROMPT_HELP)),
        "prompt_helps": models.Count("pk", filter=models.Q(kind=EntryKind.PROMPT_HELP)),
    }


USAGE_MONEY = ("reserved", "charged", "not_charged", "prompt_help")


PERSON_AND_TEAM = ("my_reserved", "my_charged", "team_reserved", "team_charged")


def person_and_team_totals_of(row) -> dict[str, Decimal]:
    """A row of `person_and_team_sums` in dollars."""
    return {key: from_ticks(value) for key, value in zip(PERSON_AND_TEAM, row, strict=True)}


class LedgerQuerySet(models.QuerySet):
    def in_days(self, first, end):
        return self.filter(day__gte=first, day__lt=end)

    def totals(self) -> dict[str, Any]:
        sums = self.aggregate(**usage_sums())
        return {
            key: from_ticks(value) if key in USAGE_MONEY else value or 0
            for key, value in sums.items()
        }

    def person_and_team_totals(self, person) -> dict[str, Decimal]:
        """The balances a cap is checked against, the person's and the team's, in one query."""
        return person_and_team_totals_of(self.person_and_team_sums(person.pk)[0])

    def person_and_team_sums(self, person_pk):
        """`person_and_team_totals` as a query of one row of whole ticks, in the order of
        PERSON_AND_TEAM (no GROUP BY: the sums of every entry), for a prepared query."""
        mine = models.Q(person_id=person_pk)
        return (
            self.order_by()
            .annotate(whole=models.Value(1))
            .values("whole")
            .annotate(
                my_reserved=exact_sum("reserved", filter=mine),
                my_charged=exact_sum("charged", filter=mine),
                team_reserved=exact_sum("reserved"),
                team_charged=exact_sum("charged"),
            )
            .values_list(*PERSON_AND_TEAM)
        )

    def open_reservations(self):
        return self.filter(kind=EntryKind.RESERVE, closed_by__isnull=True)


class LedgerEntry(models.Model):
    """One change of money. Never updated, never deleted: a month's figures are sums.

    A reservation (`reserve`) is closed by exactly one `settle` (charged) or `release`
    (not charged) entry pointing at it. Closing entries carry the reservation's `day`,
    so a job accepted on the 31st counts in that month even if it is finished on the 1st.
    """

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    generation_ref = models.UUIDField(db_index=True)
    # The project the job was in when this money was reserved (a plain id: billing knows
    # nothing of projects); what a project's budget and its usage count.
    project_ref = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=EntryKind)
    reservation = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="closed_by"
    )
    reason = models.CharField(max_length=32, blank=True)
    rate = models.DecimalField(max_digits=8, decimal_places=4)
    seconds = models.PositiveIntegerField()
    amount = money()
    # Signed changes of the two balances: reserved (held for a job) and charged (spent).
    reserved = money()
    charged = money()
    # The studio-local day the job was accepted; months are ranges of these days.
    day = models.DateField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["person", "day"]),
            models.Index(fields=["day"]),
            models.Index(fields=["project_ref", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ${self.amount} ({self.generation_ref})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("Ledger entries are append-only: write a new entry instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger entries are append-only.")


class ProjectAccount(models.Model):
    """A project's money row, keyed by the project's plain id. Its row lock is the
    project's lock (taken after the team's and the person's); it remembers which budget
    alerts (80 %, 100 %) were already given, so each is given once per period."""

    project_ref = models.PositiveIntegerField(unique=True)
    # {"month:2026-12:5.00": 80, "total:20.00": 100}: the highest level told, per period
    # and budget (a new budget value starts its alerts afresh).
    alerted = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Project {self.project_ref}"


class AuditEntry(models.Model):
    """Something a person did that is not a job's event: a price, cap or role change, a
    download, a failed login or a lock-out. The audit log reads these and GenerationEvents."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who it was about (the teammate whose cap changed); empty for studio-wide changes.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)  # for failed logins
    action = models.CharField(max_length=32)
    detail = models.CharField(max_length=500, blank=True)
    generation_ref = models.UUIDField(null=True, blank=True, db_index=True)
    # The video as it was named when the thing was done (a prompt excerpt): the log still
    # says which video after it is deleted, when only `generation_ref` is left.
    video_label = models.CharField(max_length=200, blank=True)
    # Several videos at once (a ZIP): [{"id": "<uuid>", "label": "…"}, …].
    videos = models.JSONField(default=list, blank=True)
    amount = money(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action}: {self.detail}"

    @classmethod
    def record(
        cls,
        action: str,
        *,
        actor=None,
        subject=None,
        detail="",
        generation_ref=None,
        amount=None,
        video=None,
        videos: Iterable = (),
        username: str = "",
    ) -> "AuditEntry":
        """Write one entry. `video` (or `videos`, for several at once; anything with a `pk`
        and a `prompt`) names what it was about: its id and, for when it is gone, its label."""
        return cls.objects.create(
            actor=actor if actor is not None and actor.is_authenticated else None,
            subject=subject,
            username=username[:150],
            action=action,
            detail=detail[:500],
            generation_ref=video.pk if video is not None else generation_ref,
            video_label=label_of(video.prompt) if video is not None else "",
            videos=[{"id": str(v.pk), "label": label_of(v.prompt)} for v in videos],
            amount=amount,
        )


LABEL_LENGTH = 60


def label_of(prompt: str) -> str:
    """A video's name in the audit log: its prompt's first words."""
    text = " ".join(prompt.split())
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1].rstrip() + "…"


class VideoLabel(models.Model):
    """A deleted video's name, kept so that its job events in the audit log still say which
    video they were about (written as the video row goes; see reports/audit.py)."""

    generation_ref = models.UUIDField(unique=True)
    label = models.CharField(max_length=200)
    deleted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.label} ({self.generation_ref})"
