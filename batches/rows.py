"""One row of a plan checked by the New video form's own rules (generations.forms), with
what a sheet adds: the friendly spellings of a model or a size, the defaults of the form
for empty cells, a title, and the refusal of cells that look like spreadsheet formulas."""

import re
from dataclasses import dataclass

from generations.forms import GenerationForm
from lib.csvfile import FORMULA_STARTS
from veo.catalogue import EIGHT_SECONDS_ONLY, SIZE_LABELS, Seconds, Size, VideoModel, size_name

TITLE_MAX_LENGTH = 120  # Generation.title
FIELDS = ("prompt", "model", "size", "seconds", "takes", "title")
LABELS = {"prompt": "prompt", "model": "model", "size": "size", "seconds": "seconds"}

# A cell that starts like this is what a spreadsheet runs as a formula. Coming *in*, it is
# most often a formula exported without its result ("=A2&B2"), which Veo would be paid to
# film as text; so it is refused with the reason, and fixed in place in one edit.
FORMULA_SIGNS = tuple(sign for sign in FORMULA_STARTS if sign.strip())


@dataclass
class Checked:
    """A row's values as stored (friendly spellings made exact) and, if it cannot be
    made, why (empty when the row is good); `data` is what the job is made from."""

    values: dict[str, str]
    reason: str
    data: dict

    @property
    def ok(self) -> bool:
        return not self.reason


CHOICES: dict[str, list[tuple[str, str]]] = {
    "model": list(VideoModel.choices),
    "size": list(Size.choices),
    "seconds": [(str(value), label) for value, label in Seconds.choices],
    "takes": [(str(n), str(n)) for n in range(1, 5)],
}


def _key(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().lower().replace("×", "x"))


MODEL_NAMES = {
    _key(name): choice.value for choice in VideoModel for name in (choice.value, choice.label)
}
SIZE_NAMES = {
    _key(name): choice.value
    for choice in Size
    for name in (
        choice.value,
        choice.label,
        size_name(choice.value),
        SIZE_LABELS[choice.value],
        choice.value.replace("x", " x "),
    )
}


def defaults() -> dict[str, str]:
    """What an empty cell means: what the New video form starts with."""
    form = GenerationForm()
    return {
        "model": str(form.fields["model"].initial),
        "size": str(form.fields["size"].initial),
        "seconds": str(int(form.fields["seconds"].initial)),
        "takes": str(form.fields["takes"].initial),
    }


def normalise(values: dict[str, str]) -> dict[str, str]:
    """The row's cells, trimmed, with friendly spellings made exact and empty cells given
    the form's defaults (8 seconds for a format Veo renders only at 8 s)."""
    row = {name: str(values.get(name) or "").strip() for name in FIELDS}
    start = defaults()
    row["model"] = MODEL_NAMES.get(_key(row["model"]), row["model"]) or start["model"]
    row["size"] = SIZE_NAMES.get(_key(row["size"]), row["size"]) or start["size"]
    seconds = re.fullmatch(r"(\d+)\s*(s|sec|secs|seconds?)?", row["seconds"].lower())
    row["seconds"] = seconds.group(1) if seconds else row["seconds"]
    if not row["seconds"]:
        row["seconds"] = (
            str(Seconds.EIGHT) if row["size"] in EIGHT_SECONDS_ONLY else start["seconds"]
        )
    row["takes"] = row["takes"] or start["takes"]
    row["title"] = " ".join(row["title"].split())
    return row


def check(values: dict[str, str], owner) -> Checked:
    """The row through the New video form's rules, one reason per problem."""
    row = normalise(values)
    reasons = []
    for name in ("prompt", "title"):
        if row[name].startswith(FORMULA_SIGNS):
            reasons.append(
                f"the {name} starts with “{row[name][0]}”, so it looks like a spreadsheet "
                "formula rather than its text; write the words the cell shows (or put them "
                "in quotes and start with a letter)"
            )
    if len(row["title"]) > TITLE_MAX_LENGTH:
        reasons.append(
            f"the title has {len(row['title'])} characters; please keep it under {TITLE_MAX_LENGTH}"
        )
    form = GenerationForm(
        data={key: row[key] for key in ("prompt", "model", "size", "seconds", "takes")},
        owner=owner,
    )
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                reasons.append(_reason(name, row.get(name, ""), str(error)))
    elif not reasons:
        row["prompt"] = form.cleaned_data["prompt"]
    reason = "; ".join(reasons)
    if reason:
        reason = reason[0].upper() + reason[1:] + "."
        return Checked(values=row, reason=reason, data={})
    data = {key: form.cleaned_data[key] for key in ("prompt", "model", "size", "seconds", "takes")}
    return Checked(values=row, reason="", data={**data, "title": row["title"]})


def _reason(name: str, value: str, error: str) -> str:
    error = error.rstrip(".")
    if name in ("model", "size", "seconds", "takes") and "pick" in error.lower():
        choices = [value for value, _ in CHOICES[name]]
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"{name} “{shown}” is not one we can make: use {', '.join(choices)}"
    if name == "__all__":
        return error[0].lower() + error[1:]
    return f"{LABELS.get(name, name)}: {error[0].lower() + error[1:]}"
