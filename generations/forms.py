import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from . import framing, wording
from .images import FirstFrame, normalise_first_frame
from .models import EIGHT_SECONDS_ONLY, Seconds, Size, VideoModel

PROMPT_MAX_LENGTH = 2000


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
        help_text="A JPEG, PNG or WebP still, up to 20 MB. Veo starts the video from it.",
    )
    first_frame_fit = forms.ChoiceField(
        label="The image and the format have different shapes",
        choices=framing.Fit.CHOICES,
        required=False,
        widget=forms.RadioSelect,
    )
    # A checked image kept from an earlier try of this form (see framing.keep).
    first_frame_token = forms.CharField(widget=forms.HiddenInput, required=False)
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    # Rendered into the page (a data- attribute) so that its script keeps no copy of the rule.
    eight_seconds_only = sorted(EIGHT_SECONDS_ONLY)
    shape_tolerance = framing.SHAPE_TOLERANCE

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.original_frame: FirstFrame | None = None
        self.kept_token = ""

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
        else:
            return None
        self.original_frame = frame
        return frame

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        size, seconds = cleaned.get("size"), cleaned.get("seconds")
        if size in EIGHT_SECONDS_ONLY and seconds and seconds != Seconds.EIGHT:
            label = Size(size).label.split(" (")[0]
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
                cleaned["first_frame"] = framing.crop_to_fit(frame, size)
        return cleaned

    # --- keeping the chosen image across a correction --------------------------------

    def keep_first_frame(self) -> None:
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

    def forget_first_frame(self) -> None:
        """Once the job exists it holds its own copy: the kept one goes."""
        token = self.data.get("first_frame_token", "")
        if token and self.owner is not None:
            framing.discard(token, self.owner)

    @property
    def kept_preview(self) -> dict | None:
        frame = self.original_frame
        if frame is None or not self.kept_token:
            return None
        size = self.data.get("size") or Size.LANDSCAPE_720
        differs = size in Size.values and framing.shape_differs(frame.width, frame.height, size)
        return {
            "url": framing.preview_url(frame.thumbnail),
            "width": frame.width,
            "height": frame.height,
            "cropped_url": (
                framing.preview_url(framing.crop_to_fit(frame, size).thumbnail) if differs else ""
            ),
            "differs": differs,
        }


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
        return {
            "token": self.cleaned_data["first_frame_token"],
            "width": frame.width,
            "height": frame.height,
            "differs": differs,
            "message": wording.shape_mismatch(frame, Size(size)) if differs else "",
            "cropped": (
                framing.preview_url(framing.crop_to_fit(frame, size).thumbnail) if differs else ""
            ),
        }
