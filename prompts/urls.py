from django.urls import path

from . import views

app_name = "prompts"

urlpatterns = [
    path("presets/", views.library, name="library"),
    path("presets/save/", views.save_from_form, name="save"),
    path("presets/improve/", views.improve_prompt, name="improve"),
    path("presets/settings/", views.prompt_settings, name="settings"),
    path("presets/settings/default/", views.reset_instruction, name="reset_instruction"),
    path("presets/<int:preset_pk>/edit/", views.edit, name="edit"),
    path("presets/<int:preset_pk>/duplicate/", views.duplicate, name="duplicate"),
    path("presets/<int:preset_pk>/delete/", views.delete, name="delete"),
    path("presets/<int:preset_pk>/use/", views.use, name="use"),
    path("presets/<int:preset_pk>/fill/", views.fill_in, name="fill"),
    path("presets/styles/add/", views.block_add, name="block_add"),
    path("presets/styles/<int:block_pk>/edit/", views.block_edit, name="block_edit"),
    path("presets/styles/<int:block_pk>/delete/", views.block_delete, name="block_delete"),
]
