from django import forms
from django.core.exceptions import ValidationError

from generations.forms import PROMPT_MAX_LENGTH, GenerationForm, usable_projects
from generations.models import Project, Seconds, Size, VideoModel
from veo.catalogue import EIGHT_SECONDS_ONLY, size_name

from .models import Sequence, Transition


class SequenceForm(forms.ModelForm):
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        required=False,
        empty_label="Personal (only you see it)",
        help_text="A project's people see and edit its sequences; it takes the project's videos.",
        error_messages={"invalid_choice": "That project is no longer open. Please pick another."},
    )

    class Meta:
        model = Sequence
        fields = ["title", "project", "size"]
        labels = {"title": "Name", "size": "Format"}
        widgets = {"title": forms.TextInput(attrs={"placeholder": "Spring spot, 30 s"})}

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = usable_projects(owner) if owner is not None else Project.objects.none()
        self.fields["title"].error_messages["required"] = "Please give the sequence a name."

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise ValidationError("Please give the sequence a name.")
        return title


class PlannedShotForm(forms.Form):
    prompt = forms.CharField(
        max_length=PROMPT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "The kite climbs into the sun…"}),
        help_text="Describe the shot: subject, action, setting, camera, light, mood.",
    )
    model = forms.ChoiceField(
        choices=VideoModel.choices, initial=VideoModel.FAST, widget=forms.RadioSelect
    )
    seconds = forms.TypedChoiceField(
        label="Duration",
        choices=Seconds.choices,
        coerce=int,
        initial=Seconds.EIGHT,
        widget=forms.RadioSelect,
    )
    continues = forms.BooleanField(
        label="Continue the previous shot (its last frame becomes this shot's first)",
        required=False,
    )

    def __init__(self, *args, size: str = Size.LANDSCAPE_720, **kwargs):
        super().__init__(*args, **kwargs)
        self.size = size

    def clean_prompt(self) -> str:
        # The New video form's rules for a prompt (control characters, length after NFC).
        checker = GenerationForm(data={"prompt": self.cleaned_data["prompt"]})
        checker.cleaned_data = {"prompt": self.cleaned_data["prompt"]}
        if not self.cleaned_data["prompt"].strip():
            raise ValidationError("Please describe the shot you want.")
        return checker.clean_prompt()

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None
        if self.size in EIGHT_SECONDS_ONLY and cleaned.get("seconds") not in (None, 8):
            self.add_error(
                "seconds",
                f"{size_name(self.size)} is only made as 8-second clips: choose 8 seconds.",
            )
        return cleaned


class TransitionForm(forms.Form):
    transition = forms.ChoiceField(choices=Transition.choices, widget=forms.RadioSelect)
