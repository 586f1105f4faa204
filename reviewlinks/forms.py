from django import forms

from .models import DEFAULT_EXPIRY_DAYS, EXPIRY_DAYS, NAME_MAX_LENGTH

EXPIRY_CHOICES = [(days, "1 day" if days == 1 else f"{days} days") for days in EXPIRY_DAYS]
PASSWORD_MIN_LENGTH = 6


class ReviewLinkForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="For you and the client, e.g. “Client: Maison Lune, round 2”.",
        error_messages={"required": "Please give the link a name."},
    )
    days = forms.TypedChoiceField(
        label="Works for",
        choices=EXPIRY_CHOICES,
        coerce=int,
        initial=DEFAULT_EXPIRY_DAYS,
        help_text="It stops by itself then; you can revoke it sooner.",
    )
    password = forms.CharField(
        required=False,
        max_length=128,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text="Optional. Send it to the client another way than the link.",
    )
    allow_download = forms.BooleanField(
        label="Guests may download the files", required=False, initial=False
    )
    allow_feedback = forms.BooleanField(
        label="Guests may comment and approve", required=False, initial=True
    )

    # Offered when the one video shared has other versions (views.new drops it otherwise).
    scope = forms.ChoiceField(
        label="Share",
        choices=[("video", "This version"), ("stack", "Every version of it")],
        initial="video",
        required=False,
        widget=forms.RadioSelect,
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Please give the link a name.")
        return name

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if password and len(password) < PASSWORD_MIN_LENGTH:
            raise forms.ValidationError(
                f"Please use at least {PASSWORD_MIN_LENGTH} characters, or none."
            )
        return password
