"""The New video form's preset picker and prompt tools, drawn by the prompts app into the
jobs' page with one line each (`{% preset_picker form %}`, `{% prompt_tools form %}`)."""

from django import template

from generations.links import numbered_url

from ..models import Preset, Scope, presets_and_blocks, style_blocks

register = template.Library()

# Where preset_picker leaves the style blocks it read for prompt_tools (same request).
_BLOCKS_ATTRIBUTE = "_prompt_tools_style_blocks"


@register.inclusion_tag("prompts/_picker.html", takes_context=True)
def preset_picker(context, form):
    request = context["request"]
    presets, blocks = presets_and_blocks(request.user)
    # For prompt_tools below the prompt: both lists were read in one round trip.
    setattr(request, _BLOCKS_ATTRIBUTE, blocks)
    groups: dict[str, list[Preset]] = {"My presets": [], "Team presets": []}
    for preset in presets:
        if preset.scope == Scope.TEAM:
            groups["Team presets"].append(preset)
        elif preset.scope == Scope.PROJECT and preset.project is not None:
            groups.setdefault(f"Project: {preset.project.name}", []).append(preset)
        else:
            groups["My presets"].append(preset)
    raw = request.POST.get("preset") if form.is_bound else request.GET.get("preset", "")
    chosen = int(raw) if raw and str(raw).isdigit() else None
    return {
        "groups": [(name, items) for name, items in groups.items() if items],
        "chosen": chosen if any(p.pk == chosen for p in presets) else None,
        "any": bool(presets),
        "request": request,
        # What picker.js puts a preset's id into (the 0).
        "use_url": numbered_url("prompts:use", 0),
        "fill_url": numbered_url("prompts:fill", 0),
    }


@register.inclusion_tag("prompts/_tools.html", takes_context=True)
def prompt_tools(context, form):
    request = context["request"]
    blocks = getattr(request, _BLOCKS_ATTRIBUTE, None)
    return {
        "blocks": style_blocks() if blocks is None else blocks,
        "projects": form.usable_projects,
        "request": request,
    }


@register.filter(name="numbered_url")
def numbered_link(pk: int, name: str) -> str:
    """`{{ preset.pk|numbered_url:"prompts:edit" }}`: `{% url %}` of a URL taking one integer
    id, reversed once per process (generations/links.py), for the library's rows."""
    return numbered_url(name, pk)
