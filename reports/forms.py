from decimal import Decimal
from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from billing.models import Price

from .audit import ACTION_CHOICES

CAP_HELP = "Dollars per month. Leave empty for no cap."


def cap_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000000"),
        decimal_places=2,
        help_text=CAP_HELP,
        error_messages={
            "invalid": "Please enter an amount in dollars, like 50 or 12.50.",
            "max_decimal_places": "Please use at most 2 decimals (cents).",
            "min_value": "A cap cannot be negative.",
        },
    )


def concurrency_field(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=100,
        error_messages={"invalid": "Please enter a whole number from 1 to 100."},
    )


class PricesForm(forms.Form):
    """Every row of the price table at once, plus the studio discount."""

    discount_percent = forms.DecimalField(
        label="Studio discount (%)", min_value=Decimal("0"), max_value=Decimal("100")
    )
    failed_tasks_charged = forms.BooleanField(
        label="Count failed CometAPI tasks as charged", required=False
    )

    def __init__(self, *args, prices, **kwargs):
        super().__init__(*args, **kwargs)
        self.prices = list(prices)
        for price in self.prices:
            self.fields[self.key(price)] = forms.DecimalField(
                label=f"{price.get_model_display()} {price.get_tier_display()}",
                min_value=Decimal("0"),
                max_value=Decimal("100"),
                decimal_places=4,
                initial=price.list_per_second,
                error_messages={"invalid": "Please enter dollars per second, like 0.40."},
            )

    @staticmethod
    def key(price: Price) -> str:
        return f"price_{price.model}_{price.tier}".replace(".", "_").replace("-", "_")

    def rows(self):
        return [(price, self[self.key(price)]) for price in self.prices]


ROLE_CHOICES = [
    ("admin", "Admin"),
    ("member", "Member"),
    ("reviewer", "Reviewer"),
]
ROLE_HELP = (
    "Admin: everything. Member: makes videos within the caps and manages their own. "
    "Reviewer: watches, downloads, stars and comments, and spends nothing."
)


class TeammateForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False, help_text="Optional; the link is e-mailed if set.")
    role = forms.ChoiceField(
        choices=ROLE_CHOICES, initial="member", required=False, help_text=ROLE_HELP
    )

    def clean_role(self) -> str:
        return self.cleaned_data.get("role") or "member"

    monthly_cap = cap_field("Monthly cap")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        user_model = get_user_model()
        field = user_model._meta.get_field("username")
        for validator in field.validators:
            validator(username)
        if user_model.objects.filter(username__iexact=username).exists():
            raise ValidationError("Someone already has that username.")
        return username


class MemberForm(forms.Form):
    monthly_cap = cap_field("Monthly cap")
    concurrency = concurrency_field("Jobs at once")
    # The role; a post with the older "Admin" tick alone (`is_admin`) is understood too.
    role = forms.ChoiceField(choices=ROLE_CHOICES, required=False)
    is_admin = forms.BooleanField(required=False, label="Admin")


class TeamSettingsForm(forms.Form):
    team_cap = cap_field("Team monthly cap")
    team_concurrency = concurrency_field("Team jobs at once")


class AuditFilterForm(forms.Form):
    person = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label="Anyone",
    )
    action = forms.ChoiceField(
        choices=[("", "Any action"), *[(a, a) for a in ACTION_CHOICES]], required=False
    )
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="inclusive"
    )


class HandOverForm(forms.Form):
    """Whose videos become whose: all of them, or the ticked ones."""

    to = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        label="Hand over to",
        empty_label="Choose someone",
        error_messages={"required": "Please choose who gets the videos."},
    )
    everything = forms.BooleanField(required=False, label="All of their videos")
    ids = forms.TypedMultipleChoiceField(required=False, coerce=str)

    def __init__(self, *args, person, **kwargs):
        super().__init__(*args, **kwargs)
        to = cast(forms.ModelChoiceField, self.fields["to"])
        to.queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        ids = cast(forms.TypedMultipleChoiceField, self.fields["ids"])
        ids.choices = [(str(pk), str(pk)) for pk in person.generations.values_list("pk", flat=True)]

    def clean(self):
        data = super().clean() or {}
        if not data.get("everything") and not data.get("ids"):
            raise ValidationError("Tick the videos to hand over, or choose all of them.")
        return data
