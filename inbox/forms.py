from django import forms

from .models import MailChoice


class MailChoiceForm(forms.Form):
    choice = forms.ChoiceField(
        label="Mail me about mentions and decisions",
        choices=MailChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Please pick one of the three choices."},
    )
