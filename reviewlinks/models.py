"""A review link: an address a person of the studio gives a client, through which the
client watches some videos (and, if allowed, comments on them and approves them) without
an account.

Safe by construction: the address carries a token of 256 random bits that is kept only as
its SHA-256 (a copy of the database opens no link); every request finds the link by that
hash and asks `ReviewLink.videos_served()` which videos it may show, so a link revoked,
expired, made by someone who left, or a video taken out of it, trashed, deleted, made by
someone deactivated or no longer seen by the link's maker, is answered at once as gone.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from generations.access import visible_generations
from generations.models import Comment, Generation, Project, Status

# The expiry choices offered; there is no "never" (a forgotten link must end by itself).
EXPIRY_DAYS = (1, 7, 30, 90)
DEFAULT_EXPIRY_DAYS = 30
NAME_MAX_LENGTH = 120


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class ReviewLinkQuerySet(models.QuerySet["ReviewLink"]):
    def live(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def made_by(self, person):
        """The links a person sees on the Links page: their own; an admin sees all."""
        if getattr(person, "is_staff", False) and person.is_active:
            return self
        return self.filter(created_by=person)


class ReviewLink(models.Model):
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_links"
    )
    # A project's link shows the project's videos as they are at each visit; otherwise the
    # link shows the videos named in `videos` (a video deleted for good leaves it).
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    videos = models.ManyToManyField(Generation, blank=True, related_name="review_links")
    # A stack's link: `videos` holds the versions shared when it was made, and the link shows
    # every version of their stack as it is at each visit (a new version appears; a first
    # version deleted for good hands the stack on to the next, which the link still holds).
    whole_stack = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Django's password hash, or empty for a link without a password.
    password = models.CharField(max_length=128, blank=True)
    allow_download = models.BooleanField(default=False)
    allow_feedback = models.BooleanField(default=True)
    views = models.PositiveIntegerField(default=0)
    last_visit_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    # --- making and ending ---------------------------------------------------------------

    @classmethod
    def create_for(
        cls,
        person,
        *,
        name: str,
        days: int,
        password: str = "",
        allow_download: bool = False,
        allow_feedback: bool = True,
        videos=(),
        project: Project | None = None,
        whole_stack: bool = False,
    ) -> tuple["ReviewLink", str]:
        """A new link and its token (shown once: only its hash is kept). The caller has
        checked that `person` may share these videos or this project."""
        from billing.models import AuditEntry

        token = new_token()
        with transaction.atomic():
            link = cls.objects.create(
                token_hash=hash_token(token),
                name=" ".join(name.split())[:NAME_MAX_LENGTH],
                created_by=person,
                project=project,
                expires_at=timezone.now() + timedelta(days=days),
                password=make_password(password) if password else "",
                allow_download=allow_download,
                allow_feedback=allow_feedback,
                whole_stack=whole_stack,
            )
            videos = list(videos)
            link.videos.set(videos)
            AuditEntry.record(
                "review_link_made",
                actor=person,
                detail=link.audit_words(),
                videos=videos,
            )
        return link, token

    def revoke_for(self, person) -> bool:
        """End the link at once. False when it had already ended."""
        from billing.models import AuditEntry

        with transaction.atomic():
            changed = ReviewLink.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_by=person
            )
            if changed:
                AuditEntry.record(
                    "review_link_revoked",
                    actor=person,
                    subject=self.created_by if self.created_by_id != person.pk else None,
                    detail=f"“{self.name}”",
                )
        self.refresh_from_db(fields=["revoked_at", "revoked_by"])
        return bool(changed)

    def audit_words(self) -> str:
        what = f"project “{self.project.name}”" if self.project else self.videos_label()
        extras = [f"until {timezone.localtime(self.expires_at):%d %b %Y}"]
        if self.password:
            extras.append("password")
        extras.append("downloads on" if self.allow_download else "downloads off")
        if self.allow_feedback:
            extras.append("guests may comment and approve")
        return f"“{self.name}”: {what}; " + ", ".join(extras)

    def videos_label(self) -> str:
        if self.whole_stack:
            first = self.videos.order_by("version", "pk").first()
            return f"every version of “{first.display_title}”" if first else "a version stack"
        count = self.videos.count()
        return "1 video" if count == 1 else f"{count} videos"

    # --- what it shows -------------------------------------------------------------------

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_live(self) -> bool:
        return not self.is_revoked and not self.is_expired and self.created_by.is_active

    @property
    def has_password(self) -> bool:
        return bool(self.password)

    def check_password(self, password: str) -> bool:
        return bool(self.password) and check_password(password, self.password)

    def videos_served(self):
        """The videos this link shows right now, newest first: in the link (or its
        project), finished, out of the Trash, made by someone still in the studio, and
        still seen by the link's maker (generations.access: a video they no longer see,
        they can no longer show). Empty when the link itself is no longer live."""
        if not self.is_live:
            return Generation.objects.none()
        chosen = visible_generations(self.created_by).filter(
            status=Status.READY, trashed_at__isnull=True, owner__is_active=True
        )
        if self.project_id is not None:
            chosen = chosen.filter(project_id=self.project_id)
        elif self.whole_stack:
            roots = Generation.objects.filter(pk__in=self.videos.values("pk")).values(
                root=Coalesce("stack_id", "pk")
            )
            chosen = chosen.filter(Q(pk__in=roots) | Q(stack_id__in=roots))
        else:
            chosen = chosen.filter(pk__in=self.videos.values("pk"))
        if self.whole_stack:  # newest version first
            return chosen.exclude(video="").order_by("-version", "-created_at", "-pk")
        return chosen.exclude(video="").order_by("-created_at", "-pk")

    def video_served(self, pk) -> Generation | None:
        return self.videos_served().filter(pk=pk).first()

    def note_visit(self, *, first: bool) -> None:
        """A page load through the link: `first` in a browser session counts as a view."""
        changes: dict = {"last_visit_at": timezone.now()}
        if first:
            changes["views"] = models.F("views") + 1
        ReviewLink.objects.filter(pk=self.pk).update(**changes)

    def guest_url(self, token: str) -> str:
        return reverse("reviewlinks:guest", kwargs={"token": token})

    def owners_to_tell(self, video: Generation) -> set[int]:
        """Who hears of a guest's word on `video`: its maker and the link's maker."""
        return {video.owner_id, self.created_by_id}

    @classmethod
    def find_by_token(cls, token: str) -> "ReviewLink | None":
        """The link whose token this is, live or not (the caller asks `is_live`)."""
        if not token or len(token) > 100:
            return None
        return (
            cls.objects.select_related("created_by", "project")
            .filter(token_hash=hash_token(token))
            .first()
        )


class GuestComment(models.Model):
    """Ties a guest's comment (a `Comment` with no author and the `guest_name` they gave) to
    the link it came through: the team reads "Claire (guest via link “Round 2”)"."""

    comment = models.OneToOneField(Comment, on_delete=models.CASCADE, related_name="guest_link")
    link = models.ForeignKey(ReviewLink, on_delete=models.CASCADE, related_name="guest_comments")
    # A random id kept in the guest's session: the rate limit counts one visitor's words.
    visitor = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["link", "visitor", "created_at"])]

    def __str__(self) -> str:
        return f"{self.comment.guest_name} via {self.link.name}"
