import copy
import unicodedata
import uuid
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from billing.models import STUDIO_ROW, StudioSettings
from lib import framing
from lib.images import FirstFrame, human_bytes, normalise_first_frame, too_large_message
from lib.prepared import Prepared, asked_together
from veo.catalogue import EIGHT_SECONDS_ONLY, TIERS, Seconds, Size, Tier, VideoModel, size_name

from . import drawings, price_box, wording
from .access import SEEN_PROJECTS, may_generate, visible_projects
from .models import COMMENT_MAX_LENGTH, Generation, Project

PROMPT_MAX_LENGTH = 2000
MAX_TAKES = 4


class _FieldsSharingChoices(dict):
    """A form's fields, copied for each form as `copy.deepcopy` copies them (Django's own
    `Field.__deepcopy__` and `Widget.__deepcopy__`: the field and its widget anew, their
    attrs, error messages and validators copied) except that a choice field's (value, label)
    pairs, which no form changes, are shared, and without `copy.copy`'s generic machinery:
    copying the fields was half of building a blank form."""

    def __deepcopy__(self, memo):
        return {name: _field_copy(field, memo) for name, field in self.items()}


# The `__deepcopy__`s that `_field_copy` stands in for; a field or widget with its own is
# copied by it.
_PLAIN_FIELD_COPIES = (forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__)
_PLAIN_WIDGET_COPIES = (forms.Widget.__deepcopy__, forms.widgets.ChoiceWidget.__deepcopy__)


def _field_copy(field: forms.Field, memo) -> forms.Field:
    widget = field.widget
    if (
        type(field).__deepcopy__ not in _PLAIN_FIELD_COPIES
        or type(widget).__deepcopy__ not in _PLAIN_WIDGET_COPIES
    ):
        return copy.deepcopy(field, memo)
    copied, copied.widget = _shallow_copy(field), _shallow_copy(widget)
    copied.widget.attrs = widget.attrs.copy()
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    if isinstance(widget, forms.widgets.ChoiceWidget):
        # As its `choices` setter would keep them: they were normalised when first set.
        copied.widget._choices = copy.copy(widget._choices)  # type: ignore[attr-defined]
    if isinstance(field, forms.ChoiceField):
        copied._choices = copy.copy(field._choices)  # type: ignore[attr-defined]
    return copied


def _shallow_copy(thing):
    """`copy.copy(thing)` for an object that keeps its state in its `__dict__`."""
    copied = object.__new__(type(thing))
    copied.__dict__.update(thing.__dict__)
    return copied


class GenerationForm(forms.Form):
    prompt = forms.CharField(
        max_length=PROMPT_MAX_LENGTH,
        widget=forms.Textarea(
            attrs={
                "rows": 5,
                "placeholder": "A paper kite floats above a wheat field at golden hour…",
            }
        ),
        help_text="Describe the shot: subject, action, setting, camera, light, mood.",
        error_messages={
            "required": "Please describe the video you want.",
            "max_length": "Please keep the prompt under %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )
    model = forms.ChoiceField(
        choices=VideoModel.choices,
        initial=VideoModel.FAST,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Please pick one of the listed models."},
    )
    seconds = forms.TypedChoiceField(
        label="Duration",
        choices=Seconds.choices,
        coerce=int,
        initial=Seconds.FOUR,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Please pick 4, 6 or 8 seconds."},
    )
    size = forms.ChoiceField(
        label="Format",
        choices=Size.choices,
        initial=Size.LANDSCAPE_720,
        widget=forms.RadioSelect,
        help_text="1080p and 4K are rendered by Veo only as 8-second landscape clips.",
        error_messages={"invalid_choice": "Please pick one of the listed formats."},
    )
    first_frame = forms.FileField(
        label="First frame (optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=f"A JPEG, PNG or WebP still, up to {human_bytes(settings.FIRST_FRAME_MAX_BYTES)}. "
        "Veo starts the video from it.",
    )
    # Set (by the server's refusal or by the page's script) while a chosen picture was
    # refused: the form then starts nothing until another picture is chosen or the person
    # says, with `first_frame_removed`, to go on without one.
    first_frame_refused = forms.BooleanField(widget=forms.HiddenInput, required=False)
    first_frame_removed = forms.BooleanField(label="Make it without a picture", required=False)
    first_frame_fit = forms.ChoiceField(
        label="The image and the format have different shapes",
        choices=framing.Fit.CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    # A checked image kept from an earlier try of this form (see framing.keep).
    first_frame_token = forms.CharField(widget=forms.HiddenInput, required=False)
    # Where the person placed the crop box (framing.Placement); empty: the centre.
    crop_x = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    crop_y = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    crop_zoom = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    takes = forms.TypedChoiceField(
        label="Takes",
        choices=[(n, str(n)) for n in range(1, MAX_TAKES + 1)],
        coerce=int,
        initial=1,
        required=False,
        empty_value=1,  # type: ignore[arg-type]  # a form without the field makes one take
        widget=forms.RadioSelect,
        help_text="Each take is its own paid job with the same settings; they are shown "
        "side by side.",
        error_messages={"invalid_choice": "Please pick 1 to 4 takes."},
    )
    keep_first_frame = forms.BooleanField(
        label="Keep the first frame of the video this is made from", required=False
    )
    made_from = forms.UUIDField(widget=forms.HiddenInput, required=False)
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    # No queryset until a sent form needs one (__init__): copying one for every form, as
    # each form's fields are copied, cost a quarter of copying them all.
    project: "forms.ModelChoiceField[Project]" = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="No project (private unless you share it)",
        help_text="The project's people see the video as soon as it is made.",
        error_messages={"invalid_choice": "That project is no longer open. Please pick another."},
    )

    def __init__(self, *args, source=None, owner=None, **kwargs):
        # `source`: the job "Make another like this" started from, already access-checked.
        # `owner`: the person filling it in, whose checked image may be kept across a retry.
        super().__init__(*args, **kwargs)
        self.owner = owner
        field = self.fields["project"]
        assert isinstance(field, forms.ModelChoiceField)
        # The menu is drawn from one prepared read of the person's projects; only a sent
        # form needs the queryset, to check and fetch the chosen project.
        if self.is_bound:
            field.queryset = usable_projects(owner) if owner is not None else Project.objects.none()
        field.choices = self._project_menu
        self.source = source
        if source is None or not source.first_frame_thumbnail:
            del self.fields["keep_first_frame"]
        self.original_frame: FirstFrame | None = None
        self.kept_token = ""
        # Where a first frame taken from a video came from: {"video": id, "at": seconds}.
        self.frame_origin: dict | None = None
        self.frame_caption = ""

    @cached_property
    def usable_projects(self) -> list[Project]:
        """The projects the person may put this video in (id and name), read once."""
        return usable_project_choices(self.owner) if self.owner is not None else []

    def _project_menu(self) -> list[tuple]:
        field = self.fields["project"]
        assert isinstance(field, forms.ModelChoiceField)
        return [("", field.empty_label), *((p.pk, p.name) for p in self.usable_projects)]

    def project_menu(self) -> SafeString:
        """`{{ form.project }}` while the field has no error to show (the page draws that
        otherwise), without the widget's templates, which cost a sixth of the page: the
        first option whose value is the field's is selected, as Select marks it
        (tests/test_create_form.py holds the two together)."""
        value = self["project"].value()
        chosen = "" if value is None else str(value)
        options, selected = [], False
        for pk, name in self._project_menu():
            mark = not selected and str(pk) == chosen
            selected = selected or mark
            options.append((pk, " selected" if mark else "", name))
        return format_html(
            '<select name="project" aria-describedby="id_project_helptext" id="id_project">'
            "{}\n</select>",
            format_html_join("", '\n  <option value="{}"{}>{}</option>\n', options),
        )

    def may_use_project(self, pk) -> bool:
        return pk is not None and any(project.pk == pk for project in self.usable_projects)

    @classmethod
    def blank(cls, owner, read: "NewFormReads | None" = None, **initial):
        """The form as a person starts it: in the project of their newest video when they
        may still use it ("the last one used is remembered"), without a setting to keep.
        `read`: new_form_reads(owner), when the caller asked it."""
        form = cls(initial={"client_token": uuid.uuid4(), **initial}, owner=owner)
        newest = None
        if read is not None:
            form.usable_projects, newest = read.usable, read.newest
        form.initial.setdefault("project", last_project_of(owner, form.usable_projects, newest))
        return form

    @classmethod
    def like(cls, source, client_token, owner=None):
        """The form filled with what made `source`, in its project when `owner` may use it."""
        form = cls(
            owner=owner,
            initial={
                "project": source.project_id,
                "prompt": source.prompt,
                "model": source.model,
                "seconds": source.seconds,
                "size": source.size,
                "takes": 1,
                "made_from": source.pk,
                "keep_first_frame": bool(source.first_frame_thumbnail),
                "client_token": client_token,
            },
            source=source,
        )
        if owner is not None and not form.may_use_project(source.project_id):
            form.initial["project"] = last_project_of(owner, form.usable_projects)
        return form

    # Rendered into the page (a data- attribute) so that its script keeps no copy of the rule.
    eight_seconds_only = sorted(EIGHT_SECONDS_ONLY)
    shape_tolerance = framing.SHAPE_TOLERANCE
    min_crop_zoom = framing.MIN_ZOOM
    picture_still_refused = wording.PICTURE_STILL_REFUSED

    @property
    def first_frame_max_bytes(self) -> int:
        return settings.FIRST_FRAME_MAX_BYTES

    @property
    def first_frame_too_large(self) -> str:
        return too_large_message(settings.FIRST_FRAME_MAX_BYTES)

    @property
    def picture_was_refused(self) -> bool:
        """Whether the page shows a refused picture the person has not yet replaced."""
        if not self.is_bound:
            return False
        if "first_frame" in self.errors:
            return True
        return bool(self.data.get("first_frame_refused")) and not self.kept_token

    def clean_prompt(self) -> str:
        prompt = unicodedata.normalize("NFC", self.cleaned_data["prompt"]).strip()
        prompt = prompt.replace("\r\n", "\n")  # what browsers send for line breaks
        allowed = {"\n", "\t"}
        if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in prompt):
            raise ValidationError(
                "The prompt contains invisible control characters. Please retype it "
                "or paste it as plain text.",
                code="control_characters",
            )
        if not prompt:
            raise ValidationError("Please describe the video you want.", code="required")
        if len(prompt) > PROMPT_MAX_LENGTH:
            # NFC can lengthen text (one character may become three), so count again.
            raise ValidationError(
                f"Please keep the prompt under {PROMPT_MAX_LENGTH} characters "
                f"(it has {len(prompt)} once written out in full).",
                code="max_length",
            )
        return prompt

    def clean_first_frame(self) -> FirstFrame | None:
        upload = self.cleaned_data.get("first_frame")
        token = self.data.get("first_frame_token", "")
        frame: FirstFrame | None
        if upload:
            frame = normalise_first_frame(upload)
        elif token and self.owner is not None:
            frame = framing.kept(token, self.owner)
            if frame is None:
                raise ValidationError(wording.KEPT_FRAME_GONE, code="kept_frame_gone")
            self.frame_origin = framing.kept_origin(token, self.owner)
        else:
            return None
        self.original_frame = frame
        return frame

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if (
            not cleaned.get("first_frame")
            and cleaned.get("keep_first_frame")
            and self.source is not None
        ):
            cleaned["first_frame"] = self.source.first_frame_copy()
        if (
            cleaned.get("first_frame_refused")
            and not cleaned.get("first_frame_removed")
            and not cleaned.get("first_frame")
            and "first_frame" not in self.errors
        ):
            self.add_error(
                "first_frame", ValidationError(wording.PICTURE_STILL_REFUSED, code="refused")
            )
        size, seconds = cleaned.get("size"), cleaned.get("seconds")
        if size in EIGHT_SECONDS_ONLY and seconds and seconds != Seconds.EIGHT:
            label = size_name(size)
            self.add_error(
                "seconds",
                ValidationError(
                    f"{label} is only available as an 8-second clip: Veo renders 1080p "
                    "and 4K at 8 seconds only. Choose 8 seconds or a 720p format.",
                    code="combination",
                ),
            )
        frame = cleaned.get("first_frame")
        if frame and size and framing.shape_differs(frame.width, frame.height, size):
            fit = cleaned.get("first_frame_fit")
            if not fit:
                self.add_error(
                    "first_frame_fit",
                    ValidationError(wording.shape_mismatch(frame, Size(size)), code="fit"),
                )
            elif fit == framing.Fit.CROP:
                try:
                    placement = self._placement(frame, size)
                except framing.BadPlacement as refusal:
                    self.add_error("first_frame_fit", ValidationError(str(refusal), code="crop"))
                else:
                    cleaned["first_frame"] = framing.crop_to_fit(frame, size, placement)
        return cleaned

    def _placement(self, frame: FirstFrame, size: str) -> framing.Placement | None:
        """The crop box the person placed (None: they placed none, so the centre)."""
        names = ("crop_x", "crop_y", "crop_zoom")
        texts = [(self.cleaned_data.get(name) or "").strip() for name in names]
        if not any(texts):
            return None
        try:
            x, y, zoom = (float(text) for text in texts)
        except ValueError:
            raise framing.BadPlacement(framing.PLACEMENT_UNREADABLE) from None
        return framing.check_placement(x, y, zoom, frame.width, frame.height, size)

    # --- keeping the chosen image across a correction --------------------------------

    def keep_chosen_frame(self) -> None:
        """After a refused form: keep the checked image, so the page can show it and the
        next try need not send it again."""
        token = self.data.get("first_frame_token", "")
        if self.owner is None:
            return
        if self.original_frame is None:
            if token and self.files.get("first_frame"):
                framing.discard(token, self.owner)  # the person chose another, refused, file
            return
        if self.files.get("first_frame") or not token:
            if token:
                framing.discard(token, self.owner)  # replaced by the new upload
            token = framing.keep(self.original_frame, self.owner)
        self.kept_token = token

    def forget_chosen_frame(self) -> None:
        """Once the job exists it holds its own copy: the kept one goes."""
        token = self.data.get("first_frame_token", "")
        if token and self.owner is not None:
            framing.discard(token, self.owner)

    @cached_property
    def first_frame_shown(self) -> dict:
        """What the first-frame field draws (_first_frame_field.html), gathered once: a
        template's lookup through a bound field costs some 20 µs, a dict's next to nothing,
        and the field reads a dozen of them."""
        field, fit = self["first_frame"], self["first_frame_fit"]
        return {
            "id": field.id_for_label,
            "label": field.label,
            "help_text": field.help_text,
            "errors": field.errors,
            "keep": self["keep_first_frame"] if "keep_first_frame" in self.fields else None,
            "refused": self.picture_was_refused,
            "removed_label": self.fields["first_frame_removed"].label,
            "kept": self.kept_preview,
            "fit_label": fit.label,
            "fit_errors": fit.errors,
            "fit_value": fit.value(),
            "fit_choices": framing.Fit.CHOICES,
            "crop": {name: self[name].value() or "" for name in ("crop_x", "crop_y", "crop_zoom")},
        }

    @property
    def first_frame_untouched(self) -> bool:
        """Whether the first-frame field draws as on every blank form: nothing sent, no
        picture kept or carried over from a video (the page keeps that drawing)."""
        carried = ("first_frame_fit", "first_frame_token", "crop_x", "crop_y", "crop_zoom")
        return (
            not self.is_bound
            and self.original_frame is None
            and not self.kept_token
            and "keep_first_frame" not in self.fields
            and not any(self.initial.get(name) for name in carried)
        )

    @property
    def blank_drawn_from(self) -> tuple | None:
        """What a blank form's fields draw: its first values and the projects it offers, for
        the key of a kept drawing of them (`{% fragment %}`); None for a form that draws
        more (data sent, a video it is made from, a picture)."""
        if self.source is not None or not self.first_frame_untouched:
            return None
        values = sorted((name, str(value)) for name, value in self.initial.items())
        return (
            tuple(item for item in values if item[0] != "client_token"),
            tuple((project.pk, project.name) for project in self.usable_projects),
        )

    @property
    def kept_preview(self) -> dict | None:
        frame = self.original_frame
        if frame is None or not self.kept_token:
            return None
        size = self["size"].value() or Size.LANDSCAPE_720
        differs = size in Size.values and framing.shape_differs(frame.width, frame.height, size)
        width, height = frame.original_size
        return {
            "caption": self.frame_caption,
            "url": framing.preview_url(frame.thumbnail),
            "width": width,
            "height": height,
            "cropped_url": (
                framing.preview_url(framing.crop_to_fit(frame, size).thumbnail) if differs else ""
            ),
            "differs": differs,
        }


GenerationForm.base_fields = _FieldsSharingChoices(GenerationForm.base_fields)


class FirstFramePreviewForm(forms.Form):
    """The first frame alone, sent by the page's script the moment a file is chosen."""

    first_frame = forms.FileField(required=False)
    first_frame_token = forms.CharField(required=False)
    size = forms.ChoiceField(choices=Size.choices, required=False)

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None
        upload, token = cleaned.get("first_frame"), cleaned.get("first_frame_token")
        frame: FirstFrame | None
        if upload:
            frame = normalise_first_frame(upload)
            if token:
                framing.discard(token, self.owner)
            token = framing.keep(frame, self.owner)
        elif token:
            frame = framing.kept(token, self.owner)
            if frame is None:
                raise ValidationError(wording.KEPT_FRAME_GONE, code="kept_frame_gone")
        else:
            raise ValidationError("Please choose an image.", code="required")
        cleaned["frame"], cleaned["first_frame_token"] = frame, token
        return cleaned

    def first_error(self) -> str:
        for errors in self.errors.values():
            return str(errors[0])
        return ""

    def preview(self) -> dict:
        frame: FirstFrame = self.cleaned_data["frame"]
        size = self.cleaned_data.get("size") or Size.LANDSCAPE_720
        differs = framing.shape_differs(frame.width, frame.height, size)
        width, height = frame.original_size
        origin = framing.kept_origin(self.cleaned_data["first_frame_token"], self.owner)
        return {
            "token": self.cleaned_data["first_frame_token"],
            "width": width,
            "height": height,
            # A frame taken from a video keeps its name ("The last frame, 1280×720").
            "caption": wording.frame_caption(origin, width, height) if origin else "",
            "differs": differs,
            "message": wording.shape_mismatch(frame, Size(size)) if differs else "",
            "cropped": (
                framing.preview_url(framing.crop_to_fit(frame, size).thumbnail) if differs else ""
            ),
        }


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What do you think of it?"}),
        error_messages={
            "required": "Please write something first.",
            "max_length": "Please keep a comment under %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )
    at = forms.CharField(
        label="At",
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "0:00.0", "inputmode": "decimal", "size": 7}),
        help_text="Optional: the moment of the video you mean.",
    )

    def __init__(self, *args, duration: float | None = None, **kwargs):
        self.duration = duration
        super().__init__(*args, **kwargs)

    def clean_body(self) -> str:
        body = unicodedata.normalize("NFC", self.cleaned_data["body"]).strip()
        if not body:
            raise ValidationError("Please write something first.")
        return body

    def clean_at(self) -> float | None:
        text = self.cleaned_data["at"].strip()
        if not text:
            return None
        if self.duration is None:
            raise ValidationError("This video has no moments to point at yet.")
        seconds = wording.parse_moment(text)
        if seconds is None:
            raise ValidationError("Write the moment as minutes:seconds, like 0:03.2.")
        # A player can report a hair past the end; anything more is a typo.
        if self.duration is not None and seconds > self.duration + 0.1:
            raise ValidationError(f"The video is only {wording.moment_label(self.duration)} long.")
        return round(seconds, 1)

    # inbox: shapes drawn on the paused frame (generations/drawings.py checks them).
    drawing = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_drawing(self) -> list[dict]:
        return drawings.clean_drawing(self.cleaned_data.get("drawing", ""))

    def clean(self):
        cleaned = super().clean() or {}
        if cleaned.get("drawing") and "at" in cleaned and cleaned["at"] is None:
            self.add_error("at", "A drawing belongs to a moment: press Draw again on the frame.")
        return cleaned


def usable_projects(person):
    """The projects a person may put a video in: those they see, not archived (none for a
    reviewer, who puts nothing anywhere)."""
    if not may_generate(person):
        return Project.objects.none()
    return visible_projects(person).open()


def usable_project_choices(person, request: HttpRequest | None = None) -> list[Project]:
    """`usable_projects(person)` as a list of projects holding their id and name only, for
    the Move menus of the gallery and a video's page (access.SEEN_PROJECTS); `request`,
    when `person` is its user: the rows its other readers read (seen_project_rows)."""
    if not may_generate(person):
        return []
    rows = seen_project_rows(request) if request is not None else SEEN_PROJECTS.rows(person.pk)
    return _open_projects(rows)


def _open_projects(rows) -> list[Project]:
    return [Project(pk=pk, name=name) for pk, name, archived_at in rows if archived_at is None]


def seen_project_rows(request: HttpRequest, read: list[tuple] | None = None) -> list[tuple]:
    """SEEN_PROJECTS' rows of the request's person, read once per request: a gallery's
    project filter and its Move menu list the same projects. `read`: the rows, read by the
    caller with other questions (one round trip), for the readers that follow."""
    if read is not None:
        request.__dict__["_seen_project_rows"] = read
    found = request.__dict__.get("_seen_project_rows")
    if found is None:
        found = SEEN_PROJECTS.rows(request.user.pk)
        request.__dict__["_seen_project_rows"] = found
    return found


# The project of a person's newest video, from a query built once per process.
LAST_PROJECT = Prepared(
    lambda pk: (
        Generation.objects.filter(owner_id=pk).order_by("-created_at").values_list("project_id")[:1]
    ),
    get_user_model()._meta.pk,
)


def last_project_of(
    person, usable: list[Project] | None = None, newest: tuple | None = None
) -> int | None:
    """The project of the person's newest video, when they may still use it: the New video
    form starts there ("the last one used is remembered"), without a setting to keep.
    `usable`: `usable_project_choices(person)` when the caller already holds it; `newest`:
    LAST_PROJECT's answer, when the caller asked it (a tuple: None is "not asked")."""
    if newest is None:
        rows = LAST_PROJECT.rows(person.pk)
        newest = rows[0] if rows else ()
    last = newest[0] if newest else None
    if last is None:
        return None
    if usable is None:
        usable = usable_project_choices(person)
    return last if any(project.pk == last for project in usable) else None


class NewFormReads(NamedTuple):
    studio: StudioSettings
    newest: tuple  # LAST_PROJECT's answer, for last_project_of (): no video yet
    usable: list[Project]  # usable_project_choices(person)
    price: price_box.PriceBox  # for the blank form's model and format


def new_form_reads(person) -> NewFormReads:
    """What a blank New video form reads: the studio's settings, the project of the person's
    newest video, the projects they may use (in visible_projects' order: by name, then id)
    and the price box's reads for the form's first model and format, in one round trip on
    PostgreSQL (prepared.asked_together: each statement planned alone; joined side by side
    they took PostgreSQL twice as long, 1.4 ms against 0.7)."""
    model = GenerationForm.base_fields["model"].initial
    tier = TIERS.get(GenerationForm.base_fields["size"].initial, Tier.P720)
    asked = [
        STUDIO_ROW.statement(1),
        LAST_PROJECT.statement(person.pk),
        *price_box.statements(person, model, tier),
    ]
    if may_generate(person):
        asked.append(SEEN_PROJECTS.statement(person.pk))
    studio, newest, listed, totals, member, *projects = asked_together(asked)
    settings_row = STUDIO_ROW.instances_of(studio)[0] if studio else StudioSettings.load()
    return NewFormReads(
        settings_row,
        newest[0] if newest else (),
        _open_projects(projects[0] if projects else []),
        price_box.price_box(
            person, model, tier, [_first(listed), _first(totals), _first(member)], settings_row
        ),
    )


def _first(rows: list[tuple]) -> tuple | None:
    return rows[0] if rows else None


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description", "colour"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "colour": forms.RadioSelect,
        }
        error_messages = {
            "name": {
                "required": "Please give the project a name.",
                "max_length": "Please keep the name under %(limit_value)d characters.",
            },
        }

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Please give the project a name.")
        return name


def _budget_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000000"),
        decimal_places=2,
        help_text="Dollars. Leave empty for no budget.",
        error_messages={
            "invalid": "Please enter an amount in dollars, like 5 or 12.50.",
            "max_decimal_places": "Please use at most 2 decimals (cents).",
            "min_value": "A budget cannot be negative.",
            "max_value": "Please keep a budget under $1,000,000.",
        },
    )


class ProjectBudgetForm(forms.Form):
    """A project's budgets, set by its maker or an admin on its page."""

    monthly_budget = _budget_field("Monthly budget")
    total_budget = _budget_field("Total budget")


class PeopleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return wording.person_name(obj)


class ProjectPeopleForm(forms.Form):
    """An admin's choice: open to the whole studio, or only to named people."""

    limited = forms.BooleanField(
        label="Only the people named below (and the admins) see this project's videos",
        required=False,
    )
    members = PeopleField(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="People",
    )


class StudioSettingsForm(forms.ModelForm):
    class Meta:
        model = StudioSettings
        fields = ["share_new_videos"]
