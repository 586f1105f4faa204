"""The New video form's preset picker and prompt tools, drawn by the prompts app into the
jobs' page with one line each (`{% preset_picker form %}`, `{% prompt_tools form %}`)."""

from django import template

from generations.links import numbered_url

from ..models import PickerReads, Preset, Scope, picker_reads

register = template.Library()

# Where the first of the tags below leaves the presets and style blocks it read, for the
# others (same request): the three draw from one read, asked in one round trip.
_READS_ATTRIBUTE = "_prompt_tools_reads"


def _reads(request) -> PickerReads:
    found = getattr(request, _READS_ATTRIBUTE, None)
    if found is None:
        found = picker_reads(request.user)
        setattr(request, _READS_ATTRIBUTE, found)
    return found


def _chosen(request, form, presets: list[Preset]) -> int | None:
    """The preset asked for (`?preset=`, or the one a sent form names), when the person
    sees it."""
    raw = request.POST.get("preset") if form.is_bound else request.GET.get("preset", "")
    chosen = int(raw) if raw and str(raw).isdigit() else None
    return chosen if any(p.pk == chosen for p in presets) else None


@register.simple_tag(takes_context=True)
def prompt_tools_drawn_from(context, form) -> tuple:
    """What `{% preset_picker form %}` and `{% prompt_tools form %}` draw besides `form`'s
    projects: the presets and style blocks as read (the rows) and the preset chosen, for
    the key of a kept drawing of them (`{% fragment %}`)."""
    request = context["request"]
    reads = _reads(request)
    return reads.rows, _chosen(request, form, reads.presets)


@register.inclusion_tag("prompts/_picker.html", takes_context=True)
def preset_picker(context, form):
    request = context["request"]
    presets = _reads(request).presets
    groups: dict[str, list[Preset]] = {"My presets": [], "Team presets": []}
    for preset in presets:
        if preset.scope == Scope.TEAM:
            groups["Team presets"].append(preset)
        elif preset.scope == Scope.PROJECT and preset.project is not None:
            groups.setdefault(f"Project: {preset.project.name}", []).append(preset)
        else:
            groups["My presets"].append(preset)
    return {
        "groups": [(name, items) for name, items in groups.items() if items],
        "chosen": _chosen(request, form, presets),
        "any": bool(presets),
        "request": request,
        # What picker.js puts a preset's id into (the 0).
        "use_url": numbered_url("prompts:use", 0),
        "fill_url": numbered_url("prompts:fill", 0),
    }


@register.inclusion_tag("prompts/_tools.html", takes_context=True)
def prompt_tools(context, form):
    request = context["request"]
    return {
        "blocks": _reads(request).blocks,
        "projects": form.usable_projects,
        "request": request,
    }


@register.filter(name="numbered_url")
def numbered_link(pk: int, name: str) -> str:
    """`{{ preset.pk|numbered_url:"prompts:edit" }}`: `{% url %}` of a URL taking one integer
    id, reversed once per process (generations/links.py), for the library's rows."""
    return numbered_url(name, pk)
