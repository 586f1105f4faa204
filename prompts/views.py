"""The preset library, a preset's page, the New video form's helpers (save, use, fill,
Improve my prompt) and the style blocks. Every preset is found through `Preset.objects
.visible_to` or `.changeable_by`: anything else answers 404."""

from functools import cache

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from billing.models import AuditEntry, StudioSettings
from generations.access import admin_required, is_admin, members_only
from lib import framing
from veo.catalogue import Seconds, Size, VideoModel

from .forms import PresetForm, PromptSettingsForm, StyleBlockForm, initial_from_form
from .improve import PromptHelpError, improve, word_diff
from .models import Preset, PromptSettings, Scope, StyleBlock, library_presets, style_blocks
from .variables import VariableError, fill


def _visible(request: HttpRequest, pk) -> Preset:
    return get_object_or_404(Preset.objects.visible_to(request.user), pk=pk)


def _changeable(request: HttpRequest, pk) -> Preset:
    return get_object_or_404(Preset.objects.changeable_by(request.user), pk=pk)


@cache
def blank_block_fields() -> str:
    """The library's Add style block fields, as a blank StyleBlockForm draws them: the same
    on every load (its errors go to a message), so drawn once per process."""
    form = StyleBlockForm()
    return render_to_string("prompts/library.html#block_fields", {"block_form": form})


@members_only
def library(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    presets = library_presets(request.user, query)
    context = {
        "rows": [(preset, preset.may_be_changed_by(request.user)) for preset in presets],
        "query": query,
        "blocks": [(block, block.may_change(request.user)) for block in style_blocks()],
        "block_fields": blank_block_fields(),
        "settings_form": _settings_form() if is_admin(request.user) else None,
    }
    return render(request, "prompts/library.html", context)


@members_only
def edit(request: HttpRequest, preset_pk) -> HttpResponse:
    preset = _changeable(request, preset_pk)
    if request.method == "POST":
        form = PresetForm(request.POST, request.FILES, instance=preset, owner=request.user)
        if form.is_valid():
            form.save_preset()
            messages.success(request, f"Saved the preset “{preset.name}”.")
            return redirect("prompts:library")
    else:
        form = PresetForm(instance=preset, owner=request.user)
    return render(request, "prompts/edit.html", {"form": form, "preset": preset})


@members_only
@require_POST
def duplicate(request: HttpRequest, preset_pk) -> HttpResponse:
    copy = _visible(request, preset_pk).copy_for(request.user)
    messages.success(request, f"Made “{copy.name}”, your own copy. Rename it or change it here.")
    return redirect("prompts:edit", preset_pk=copy.pk)


@members_only
@require_POST
def delete(request: HttpRequest, preset_pk) -> HttpResponse:
    preset = _changeable(request, preset_pk)
    name = preset.name
    preset.delete_with_files()
    messages.success(request, f"Deleted the preset “{name}”. Videos made from it are kept.")
    return redirect("prompts:library")


# --- the New video form's helpers (JSON, for static/js/prompts.js) -----------------------------


@members_only
@require_POST
def save_from_form(request: HttpRequest) -> JsonResponse:
    """Save the New video form as it stands as a preset; the form itself stays as it was."""
    form = PresetForm(
        initial_from_form(request.POST),
        request.FILES,
        owner=request.user,
        first_frame_token=request.POST.get("first_frame_token", ""),
    )
    if not form.is_valid():
        errors = [str(error) for field in form.errors.values() for error in field]
        return JsonResponse({"ok": False, "message": " ".join(errors)})
    preset = form.save_preset()
    return JsonResponse(
        {
            "ok": True,
            "message": f"Saved as the preset “{preset.name}” ({preset.scope_label.lower()}).",
            "preset": _choice(preset),
        }
    )


@members_only
@require_POST
def use(request: HttpRequest, preset_pk) -> JsonResponse:
    """A preset for the New video form: its settings, its variables and, when it has a first
    frame, that picture kept for this person as a chosen one would be."""
    preset = _visible(request, preset_pk)
    answer = {
        "ok": True,
        "id": preset.pk,
        "name": preset.name,
        "template": preset.prompt,
        "variables": preset.variables,
        "prompt": "",
        "model": preset.model,
        "size": preset.size,
        "seconds": preset.seconds,
        "takes": preset.takes,
        "frame": None,
    }
    if not preset.variables:
        try:
            answer["prompt"] = fill(preset.prompt, {})
        except VariableError as error:
            return JsonResponse({"ok": False, "message": error.message})
    frame = preset.frame()
    if frame is not None:
        width, height = frame.original_size
        answer["frame"] = {
            "token": framing.keep(frame, request.user),
            "url": framing.preview_url(frame.thumbnail),
            "width": width,
            "height": height,
        }
    return JsonResponse(answer)


@members_only
@require_POST
def fill_in(request: HttpRequest, preset_pk) -> JsonResponse:
    """The preset's prompt with the variables' values posted as `var_<name>`."""
    preset = _visible(request, preset_pk)
    values = {
        key.removeprefix("var_"): request.POST.get(key, "")
        for key in request.POST
        if key.startswith("var_")
    }
    try:
        return JsonResponse({"ok": True, "prompt": fill(preset.prompt, values)})
    except VariableError as error:
        return JsonResponse({"ok": False, "message": error.message})


@members_only
@require_POST
def improve_prompt(request: HttpRequest) -> HttpResponse:
    """Improve my prompt: the chat model's suggestion beside the prompt, as a difference to
    accept, edit or ignore. Nothing is generated here, and the form is left as it was."""
    data = request.POST
    model = data.get("model", "")
    model = model if model in VideoModel.values else VideoModel.FAST
    size = data.get("size", "")
    size = size if size in Size.values else Size.LANDSCAPE_720
    seconds = int(data["seconds"]) if data.get("seconds", "") in map(str, Seconds.values) else 4
    prompt = data.get("prompt", "")
    context: dict = {"original": prompt.strip()}
    try:
        suggestion = improve(request.user, prompt, model=model, size=size, seconds=seconds)
    except PromptHelpError as error:
        context["error"] = error.message
    else:
        context.update(
            suggestion=suggestion.text,
            pieces=word_diff(suggestion.original, suggestion.text),
            cost=f"${suggestion.cost}",
        )
    return render(request, "prompts/_improve.html", context)


def _choice(preset: Preset) -> dict:
    return {"id": preset.pk, "name": preset.name, "group": _group(preset)}


def _group(preset: Preset) -> str:
    if preset.scope == Scope.TEAM:
        return "Team presets"
    if preset.scope == Scope.PROJECT and preset.project is not None:
        return f"Project: {preset.project.name}"
    return "My presets"


# --- style blocks ------------------------------------------------------------------------------


@members_only
@require_POST
def block_add(request: HttpRequest) -> HttpResponse:
    form = StyleBlockForm(request.POST)
    if form.is_valid():
        block = form.save(commit=False)
        block.created_by = request.user
        block.save()
        messages.success(request, f"Added the style block “{block.name}”.")
    else:
        errors = " ".join(str(e) for field in form.errors.values() for e in field)
        messages.error(request, f"The style block was not added: {errors}")
    return redirect(reverse("prompts:library") + "#style-blocks")


@members_only
def block_edit(request: HttpRequest, block_pk) -> HttpResponse:
    block = _changeable_block(request, block_pk)
    form = StyleBlockForm(request.POST or None, instance=block)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the style block “{block.name}”.")
        return redirect(reverse("prompts:library") + "#style-blocks")
    return render(request, "prompts/block_edit.html", {"form": form, "block": block})


@members_only
@require_POST
def block_delete(request: HttpRequest, block_pk) -> HttpResponse:
    block = _changeable_block(request, block_pk)
    block.delete()
    messages.success(request, f"Deleted the style block “{block.name}”.")
    return redirect(reverse("prompts:library") + "#style-blocks")


def _changeable_block(request: HttpRequest, pk) -> StyleBlock:
    block = get_object_or_404(StyleBlock, pk=pk)
    if not block.may_change(request.user):
        raise Http404("No style block here")
    return block


# --- the admins' settings of Improve my prompt --------------------------------------------------


def _settings_form(data=None) -> PromptSettingsForm:
    studio = StudioSettings.load()
    return PromptSettingsForm(
        data,
        instance=PromptSettings.load(),
        initial={
            "input_per_million": studio.prompt_help_input_per_million,
            "output_per_million": studio.prompt_help_output_per_million,
        },
    )


@admin_required
@require_POST
def prompt_settings(request: HttpRequest) -> HttpResponse:
    form = _settings_form(request.POST)
    if form.is_valid():
        row = form.save(commit=False)
        row.updated_by = request.user
        row.save()
        studio = StudioSettings.load()
        studio.prompt_help_input_per_million = form.cleaned_data["input_per_million"]
        studio.prompt_help_output_per_million = form.cleaned_data["output_per_million"]
        studio.updated_by_id = request.user.pk
        studio.save(
            update_fields=[
                "prompt_help_input_per_million",
                "prompt_help_output_per_million",
                "updated_by",
                "updated_at",
            ]
        )
        AuditEntry.record(
            "prompt_help_settings",
            actor=request.user,
            detail=f"Improve my prompt: model {row.chat_model}, "
            f"${studio.prompt_help_input_per_million}/M in, "
            f"${studio.prompt_help_output_per_million}/M out",
        )
        messages.success(request, "Saved the settings of Improve my prompt.")
    else:
        errors = " ".join(str(e) for field in form.errors.values() for e in field)
        messages.error(request, f"The settings were not saved: {errors}")
    return redirect(reverse("prompts:library") + "#prompt-settings")


@admin_required
@require_POST
def reset_instruction(request: HttpRequest) -> HttpResponse:
    from .models import DEFAULT_INSTRUCTION

    row = PromptSettings.load()
    row.instruction, row.updated_by_id = DEFAULT_INSTRUCTION, request.user.pk
    row.save()
    messages.success(request, "The instruction is back to the default written for Veo.")
    return redirect(reverse("prompts:library") + "#prompt-settings")
