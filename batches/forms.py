from django import forms
from django.core.exceptions import ValidationError

from .sheet import (
    MAX_BYTES,
    MAX_ROWS,
    Sheet,
    SheetError,
    check_size,
    human_size,
    read_bytes,
    read_text,
)


class SheetForm(forms.Form):
    """A CSV file, or rows pasted from a spreadsheet: one of the two."""

    sheet = forms.FileField(
        label="A CSV file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
        help_text=f"Up to {human_size(MAX_BYTES)} and {MAX_ROWS} rows.",
    )
    rows = forms.CharField(
        label="Or paste rows",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "spellcheck": "false",
                "placeholder": "prompt,title,seconds\n"
                "A perfume bottle on wet marble,Bottle,8\n"
                "Close-up of the cap turning,Cap,4",
            }
        ),
        help_text="Copy the cells from a spreadsheet (the header row too) and paste them here.",
    )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None
        upload, text = cleaned.get("sheet"), cleaned.get("rows") or ""
        try:
            if upload:
                check_size(upload.size)  # refused before a byte of it is read
                cleaned["parsed"] = read_bytes(upload.read(MAX_BYTES + 1))
                cleaned["name"] = upload.name or "Uploaded sheet"
            elif text.strip():
                cleaned["parsed"] = read_text(text)
                cleaned["name"] = "Pasted rows"
            else:
                raise ValidationError(
                    "Please choose a CSV file or paste rows, with a header row naming a "
                    "“prompt” column."
                )
        except SheetError as error:
            raise ValidationError(error.message) from None
        return cleaned

    @property
    def parsed(self) -> Sheet:
        return self.cleaned_data["parsed"]
