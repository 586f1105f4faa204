"""Presets of the New video form, the team's style blocks, the videos each preset made, and
the one settings row of "Improve my prompt"."""

import io
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from PIL import Image

from generations.access import is_admin, projects_seen_by
from generations.models import (
    Favourite,
    Generation,
    Project,
    ReviewStatus,
    first_frame_name,
    thumbnail_name,
)
from lib.images import FirstFrame
from lib.prepared import Prepared, asked_together
from veo.catalogue import Seconds, Size, VideoModel

from .variables import VariableError, variables_in

PRESET_NAME_MAX_LENGTH = 80


class Scope(models.TextChoices):
    PERSONAL = "personal", "Only me"
    TEAM = "team", "The whole team"
    PROJECT = "project", "A project's people"


def visible_to(user_pk) -> Q:
    """The rule of `Preset.objects.visible_to` for an active person's id (check that
    first): spelt on the id alone so that prepared queries can hold it."""
    seen_projects = projects_seen_by(user_pk).order_by().values("pk")
    return (
        Q(owner_id=user_pk)
        | Q(scope=Scope.TEAM)
        | Q(scope=Scope.PROJECT, project__in=seen_projects)
    )


class PresetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The presets a person may see and use: their own, the team's, and those of the
        projects whose videos they see (the same door as the project's videos)."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        return self.filter(visible_to(user.pk))

    def changeable_by(self, user):
        """The presets a person may edit and delete: their own; an admin also the team's and
        the projects' presets they see. Anyone else's is not there (404)."""
        visible = self.visible_to(user)
        if is_admin(user):
            return visible.filter(Q(owner=user) | ~Q(scope=Scope.PERSONAL))
        return visible.filter(owner=user)

    def with_outcomes(self):
        """Each preset with how many videos it made, and of those how many were approved
        and how many anyone starred."""
        return self.annotate(
            used=Count("uses", distinct=True),
            approved=Count(
                "uses",
                filter=Q(uses__generation__review_status=ReviewStatus.APPROVED),
                distinct=True,
            ),
            starred=Count("uses", filter=Q(uses__generation__stars__isnull=False), distinct=True),
        )


class Preset(models.Model):
    """The New video form saved under a name: its prompt (with `{variables}`), model,
    format, length, takes and an optional first frame (stored as a video's is)."""

    name = models.CharField(max_length=PRESET_NAME_MAX_LENGTH)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=16, choices=Scope, default=Scope.PERSONAL)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    prompt = models.TextField(max_length=2000)
    model = models.CharField(max_length=32, choices=VideoModel, default=VideoModel.FAST)
    size = models.CharField(max_length=16, choices=Size, default=Size.LANDSCAPE_720)
    seconds = models.PositiveSmallIntegerField(choices=Seconds, default=Seconds.FOUR)
    takes = models.PositiveSmallIntegerField(default=1)
    first_frame = models.FileField(blank=True, editable=False)
    first_frame_thumbnail = models.FileField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PresetQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope="project", project__isnull=False)
                | ~Q(scope="project") & Q(project__isnull=True),
                name="preset_project_only_for_project_scope",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def variables(self) -> list[str]:
        try:
            return variables_in(self.prompt)
        except VariableError:
            return []

    @property
    def scope_label(self) -> str:
        if self.scope == Scope.PROJECT and self.project is not None:
            return f"Project: {self.project.name}"
        return {Scope.PERSONAL: "Personal", Scope.TEAM: "Team"}.get(Scope(self.scope), "")

    def may_change(self, user) -> bool:
        return Preset.objects.changeable_by(user).filter(pk=self.pk).exists()

    def may_be_changed_by(self, user) -> bool:
        """`may_change` for a preset already known to be visible to `user`, on its values:
        the rule of `changeable_by` without a query (tests hold the two together)."""
        return self.owner_id == user.pk or (is_admin(user) and self.scope != Scope.PERSONAL)

    # --- the first frame, stored as a video's is ---------------------------------------

    def keep_frame(self, frame: FirstFrame | None) -> list[str]:
        """Store `frame` as this preset's first frame (None removes it). Returns the names of
        the files it replaced: delete them once the row is saved (see `save_with_frame`)."""
        old = self._file_names()
        if frame is None:
            self.first_frame.name = self.first_frame_thumbnail.name = ""
            return old
        self.first_frame.name = default_storage.save(first_frame_name(), ContentFile(frame.image))
        self.first_frame_thumbnail.name = default_storage.save(
            thumbnail_name(), ContentFile(frame.thumbnail)
        )
        return old

    def save_with_frame(self, frame: FirstFrame | None, *, change_frame: bool = True) -> None:
        """Save the row and, when `change_frame`, its new first frame: no orphan file if the
        save fails, and the replaced files go only once the row no longer names them."""
        if not change_frame:
            self.save()
            return
        before = set(self._file_names())
        old = self.keep_frame(frame)
        new = self._file_names()
        try:
            with transaction.atomic():
                self.save()
        except BaseException:
            for name in new:
                if name not in before:
                    default_storage.delete(name)
            raise
        _delete_on_commit(old)

    def _file_names(self) -> list[str]:
        return [f.name for f in (self.first_frame, self.first_frame_thumbnail) if f and f.name]

    def frame(self) -> FirstFrame | None:
        """The stored first frame as a form would give it (for the New video form)."""
        if not (self.first_frame and self.first_frame_thumbnail):
            return None
        try:
            with self.first_frame.open("rb") as handle:
                image = handle.read()
            with self.first_frame_thumbnail.open("rb") as handle:
                thumbnail = handle.read()
        except (FileNotFoundError, OSError):
            return None
        with Image.open(io.BytesIO(image)) as picture:
            width, height = picture.size
        return FirstFrame(image=image, width=width, height=height, thumbnail=thumbnail)

    def delete_with_files(self) -> None:
        names = self._file_names()
        self.delete()
        _delete_on_commit(names)

    def copy_for(self, person) -> "Preset":
        """A personal copy for `person`, with its own copy of the first frame."""
        copy = Preset(
            name=f"Copy of {self.name}"[:PRESET_NAME_MAX_LENGTH],
            owner=person,
            scope=Scope.PERSONAL,
            prompt=self.prompt,
            model=self.model,
            size=self.size,
            seconds=self.seconds,
            takes=self.takes,
        )
        copy.save_with_frame(self.frame())
        return copy


def _delete_on_commit(names: list[str]) -> None:
    """Delete files once the transaction that stopped naming them commits."""

    def delete() -> None:
        for name in names:
            default_storage.delete(name)

    if names:
        transaction.on_commit(delete)


class PresetUse(models.Model):
    """A video made from a preset: written by the New video form's `videos_created` signal
    right after the video's create transaction commits."""

    preset = models.ForeignKey(Preset, on_delete=models.CASCADE, related_name="uses")
    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["preset", "generation"], name="one_use_per_video")
        ]

    def __str__(self) -> str:
        return f"{self.preset} → {self.generation_id}"


def record_preset_use(sender, *, request, jobs, is_new, **kwargs) -> None:
    """The New video form's videos were made: note the preset they came from, if the form
    carried one its maker may use."""
    raw = request.POST.get("preset", "")
    if not raw.isdigit() or not jobs:
        return
    preset = Preset.objects.visible_to(request.user).filter(pk=int(raw)).first()
    if preset is None:
        return
    for job in jobs:
        PresetUse.objects.get_or_create(preset=preset, generation=job)


class StyleBlock(models.Model):
    """A reusable phrase of the team's (brand look, camera, lighting), added to a prompt with
    one click: the text goes into the prompt, visible and editable."""

    name = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def may_change(self, user) -> bool:
        return is_admin(user) or (user.is_authenticated and self.created_by_id == user.pk)


DEFAULT_INSTRUCTION = """You improve prompts for Google Veo 3.1, a text-to-video model that \
makes short clips with sound. Rewrite the user's prompt as one vivid paragraph of at most \
120 words, in this order: the subject (what it looks like), the action (what happens during \
the clip), the setting, the camera (shot size, angle, movement such as a slow dolly-in or a \
handheld follow), the lighting (time of day, quality, direction), the style (film stock, \
lens, colour grade, mood) and audio cues (sound effects, ambience, music; dialogue in quotes). \
Keep every idea, name, product and word in quotes the user gave; add only what makes the \
shot clearer; do not invent brands, logos or text on screen. Fit it to the settings given \
(a {seconds}-second clip in {format}); one continuous shot, no scene list. Answer with the \
prompt only: no title, no quotes around it, no explanation."""


class PromptSettings(models.Model):
    """The admins' settings of "Improve my prompt", one row (pk=1), read through `load()`.
    Its prices per token are billing's (StudioSettings), as every price is."""

    instruction = models.TextField(
        "Instruction to the chat model",
        max_length=4000,
        default=DEFAULT_INSTRUCTION,
        help_text="What the chat model is told before it sees the prompt. {seconds} and "
        "{format} are replaced by the form's length and format.",
    )
    chat_model = models.CharField(
        "Chat model",
        max_length=64,
        default="gpt-4o-mini",
        help_text="A chat model your CometAPI key may use, by CometAPI's name for it.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "prompt help settings"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="one_prompt_settings_row")]

    def __str__(self) -> str:
        return "Prompt help settings"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> "PromptSettings":
        row, _ = cls.objects.get_or_create(pk=1)
        return row


# --- what the New video form and the library show, read with queries built once per process

_USER_PK = get_user_model()._meta.pk

# (id, name, scope, project's id and name) of the presets a person sees, in their order.
PRESET_CHOICES = Prepared(
    lambda pk: (
        Preset.objects.filter(visible_to(pk))
        .order_by("name", "pk")
        .values_list("pk", "name", "scope", "project_id", "project__name")
    ),
    _USER_PK,
)

# What the library shows of each preset, the videos it made included (`library_presets`).
LIBRARY_COLUMNS = (
    "pk",
    "name",
    "owner_id",
    "owner_name",
    "scope",
    "project_id",
    "project_name",
    "prompt",
    "model",
    "size",
    "seconds",
    "takes",
    "first_frame",
    "used",
    "approved",
    "starred",
)


def _counted(uses) -> Subquery:
    return Subquery(uses.annotate(n=Count("pk")).values("n"))


def library_rows(presets):
    """`presets.with_outcomes()` with the owner's name and the project's, as LIBRARY_COLUMNS.
    Each count, name and project read by its own subquery: nothing joined or grouped around
    the presets, which PostgreSQL plans in two thirds of the time (0.27 ms against 0.40;
    tests/test_list_pages_kept.py holds the two together). A count of nothing is NULL."""
    uses = PresetUse.objects.filter(preset=OuterRef("pk")).order_by().values("preset")
    starred = Favourite.objects.filter(generation=OuterRef("generation"))
    return (
        presets.annotate(
            used=_counted(uses),
            approved=_counted(uses.filter(generation__review_status=ReviewStatus.APPROVED)),
            starred=_counted(uses.filter(Exists(starred))),
            owner_name=Subquery(
                get_user_model().objects.filter(pk=OuterRef("owner_id")).values("username")
            ),
            project_name=Subquery(Project.objects.filter(pk=OuterRef("project_id")).values("name")),
        )
        .order_by("name", "pk")
        .values_list(*LIBRARY_COLUMNS)
    )


LIBRARY_ROWS = Prepared(lambda pk: library_rows(Preset.objects.filter(visible_to(pk))), _USER_PK)

STYLE_BLOCKS = Prepared(
    lambda: StyleBlock.objects.order_by("name", "pk").values_list(
        "pk", "name", "text", "created_by_id"
    )
)


def preset_choices(user) -> list[Preset]:
    """The presets `user` sees, holding their id, name, scope and project's name only."""
    if not (user.is_authenticated and user.is_active):
        return []
    return _presets(PRESET_CHOICES.rows(user.pk))


class PickerReads(NamedTuple):
    """What the New video form's preset picker and prompt tools show: the presets a person
    sees (`preset_choices`), the team's style blocks (`style_blocks`), and the rows both
    were made from, hashable: what a kept drawing of the two is keyed on."""

    presets: list[Preset]
    blocks: list[StyleBlock]
    rows: tuple


def picker_reads(user) -> PickerReads:
    """`preset_choices(user)` and `style_blocks()` in one round trip (prepared.asked_together),
    each in its own order."""
    if not (user.is_authenticated and user.is_active):
        presets, blocks = [], STYLE_BLOCKS.rows()
    else:
        presets, blocks = asked_together(
            [PRESET_CHOICES.statement(user.pk), STYLE_BLOCKS.statement()]
        )
    return PickerReads(_presets(presets), _blocks(blocks), (tuple(presets), tuple(blocks)))


def presets_and_blocks(user) -> tuple[list[Preset], list[StyleBlock]]:
    """`picker_reads(user)`'s presets and style blocks."""
    reads = picker_reads(user)
    return reads.presets, reads.blocks


def _presets(rows) -> list[Preset]:
    choices = []
    for pk, name, scope, project_id, project_name in rows:
        preset = Preset(pk=pk, name=name, scope=scope)
        if project_id is not None:
            preset.project = Project(pk=project_id, name=project_name)
        choices.append(preset)
    return choices


def library_presets(user, query: str = "") -> list[Preset]:
    """The library's presets for `user` (those whose name or prompt holds `query`), each
    with `used`, `approved` and `starred`: `Preset.objects.visible_to(user).with_outcomes()`
    as model objects, read from a prepared query when nothing is searched."""
    if not (user.is_authenticated and user.is_active):
        return []
    if query:
        rows = library_rows(
            Preset.objects.visible_to(user).filter(
                Q(name__icontains=query) | Q(prompt__icontains=query)
            )
        )
    else:
        rows = LIBRARY_ROWS.rows(user.pk)
    User = get_user_model()
    presets = []
    for row in rows:
        values = dict(zip(LIBRARY_COLUMNS, row, strict=True))
        owner = User(pk=values.pop("owner_id"), username=values.pop("owner_name"))
        project_name = values.pop("project_name")
        outcomes = {name: values.pop(name) or 0 for name in ("used", "approved", "starred")}
        preset = Preset(**values)
        preset.owner = owner
        if preset.project_id is not None:
            preset.project = Project(pk=preset.project_id, name=project_name)
        for name, count in outcomes.items():
            setattr(preset, name, count)
        presets.append(preset)
    return presets


def style_blocks() -> list[StyleBlock]:
    """The team's style blocks, in their order."""
    return _blocks(STYLE_BLOCKS.rows())


def _blocks(rows) -> list[StyleBlock]:
    return [
        StyleBlock(pk=pk, name=name, text=text, created_by_id=created_by)
        for pk, name, text, created_by in rows
    ]
