import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from generations.forms import MAX_TAKES, PROMPT_MAX_LENGTH, usable_projects
from lib import framing
from lib.images import FirstFrame, normalise_first_frame
from veo.catalogue import EIGHT_SECONDS_ONLY, Seconds, Size, size_name

from .models import PRESET_NAME_MAX_LENGTH, Preset, PromptSettings, Scope, StyleBlock
from .variables import VariableError, variables_in


class PresetForm(forms.ModelForm):
    """A preset's fields. Saved from the New video form (its fields posted as they are, with
    `preset_name`, `preset_scope` and `preset_project`) or edited on the library's page."""

    takes = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, MAX_TAKES + 1)],
        coerce=int,
        initial=1,
        error_messages={"invalid_choice": "Please pick 1 to 4 takes."},
    )
    first_frame = forms.FileField(
        label="First frame (optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_first_frame = forms.BooleanField(label="Remove the first frame", required=False)

    class Meta:
        model = Preset
        fields = ["name", "scope", "project", "prompt", "model", "size", "seconds", "takes"]
        labels = {"scope": "Who may use it", "size": "Format", "seconds": "Duration"}
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 4}),
            "model": forms.RadioSelect,
            "size": forms.RadioSelect,
            "seconds": forms.RadioSelect,
            "scope": forms.RadioSelect,
        }
        error_messages = {
            "name": {"required": "Please give the preset a name."},
            "prompt": {"required": "Please write the preset's prompt."},
        }

    def __init__(self, *args, owner, **kwargs):
        # `first_frame_token`: a picture the New video form already checked and kept.
        self.first_frame_token = kwargs.pop("first_frame_token", "")
        super().__init__(*args, **kwargs)
        self.owner = owner
        field = self.fields["project"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = usable_projects(owner)
        field.empty_label = "Pick a project"
        field.error_messages["invalid_choice"] = "That project is not open to you. Pick another."
        self.fields["name"].widget.attrs.update(
            {"maxlength": PRESET_NAME_MAX_LENGTH, "placeholder": "Product shot on marble"}
        )
        self.fields["prompt"].help_text = (
            "Write {name} for a variable filled in each time, like {product}; {{ and }} for "
            "braces that stay."
        )
        self.frame: FirstFrame | None = None
        self.frame_changed = False

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError("Please give the preset a name.")
        return name

    def clean_prompt(self) -> str:
        prompt = unicodedata.normalize("NFC", self.cleaned_data["prompt"]).replace("\r\n", "\n")
        prompt = prompt.strip()
        if not prompt:
            raise ValidationError("Please write the preset's prompt.")
        if len(prompt) > PROMPT_MAX_LENGTH:
            raise ValidationError(
                f"Please keep the prompt under {PROMPT_MAX_LENGTH} characters (it has {len(prompt)})."
            )
        try:
            variables_in(prompt)
        except VariableError as error:
            raise ValidationError(error.message) from None
        return prompt

    def clean_first_frame(self) -> FirstFrame | None:
        upload = self.cleaned_data.get("first_frame")
        if upload:
            self.frame, self.frame_changed = normalise_first_frame(upload), True
        elif self.first_frame_token:
            frame = framing.kept(self.first_frame_token, self.owner)
            if frame is not None:
                self.frame, self.frame_changed = frame, True
        return self.frame

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None
        if cleaned.get("remove_first_frame") and not self.frame:
            self.frame_changed = True
        scope, project = cleaned.get("scope"), cleaned.get("project")
        if scope == Scope.PROJECT and project is None and "project" not in self.errors:
            self.add_error("project", "Pick the project whose people may use it.")
        if scope != Scope.PROJECT:
            cleaned["project"] = None
        size, seconds = cleaned.get("size"), cleaned.get("seconds")
        if size in EIGHT_SECONDS_ONLY and seconds and seconds != Seconds.EIGHT:
            self.add_error(
                "seconds",
                f"{size_name(size)} is only available as an 8-second clip. Choose 8 seconds "
                "or a 720p format.",
            )
        return cleaned

    def save_preset(self) -> Preset:
        preset = self.save(commit=False)
        preset.owner_id = preset.owner_id or self.owner.pk
        preset.save_with_frame(self.frame, change_frame=self.frame_changed)
        return preset


def initial_from_form(data) -> dict:
    """The New video form's posted fields as the preset form's."""
    return {
        "name": data.get("preset_name", ""),
        "scope": data.get("preset_scope", Scope.PERSONAL),
        "project": data.get("preset_project", ""),
        "prompt": data.get("prompt", ""),
        "model": data.get("model", ""),
        "size": data.get("size", Size.LANDSCAPE_720),
        "seconds": data.get("seconds", ""),
        "takes": data.get("takes") or "1",
    }


class StyleBlockForm(forms.ModelForm):
    class Meta:
        model = StyleBlock
        fields = ["name", "text"]
        labels = {"name": "Name", "text": "Phrase added to the prompt"}
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": "Brand look"}),
            "text": forms.TextInput(
                attrs={"placeholder": "warm tones, 35 mm, shallow depth of field"}
            ),
        }
        error_messages = {
            "name": {"required": "Please name the style block."},
            "text": {"required": "Please write the phrase it adds."},
        }

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_text(self) -> str:
        text = " ".join(self.cleaned_data["text"].split())
        if "{" in text or "}" in text:
            raise ValidationError("A style block cannot hold { or }: write it as plain words.")
        return text


class PromptSettingsForm(forms.ModelForm):
    """The admins' settings of Improve my prompt, with billing's two token rates."""

    input_per_million = forms.DecimalField(
        label="Dollars per million input tokens", min_value=0, max_value=1000, decimal_places=4
    )
    output_per_million = forms.DecimalField(
        label="Dollars per million output tokens", min_value=0, max_value=1000, decimal_places=4
    )

    class Meta:
        model = PromptSettings
        fields = ["instruction", "chat_model"]
        widgets = {"instruction": forms.Textarea(attrs={"rows": 8})}

    def clean_chat_model(self) -> str:
        name = self.cleaned_data["chat_model"].strip()
        if not name or any(ch.isspace() for ch in name):
            raise ValidationError("Write the model's name as CometAPI spells it, like gpt-4o-mini.")
        return name
