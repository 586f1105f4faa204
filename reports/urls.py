from django.urls import path

from . import views

# The pages keep their `billing:` URL names (usage, people, audit, prices): the templates
# and the links in mails name them, and renaming them is a change of its own.
app_name = "billing"

urlpatterns = [
    path("estimate/", views.estimate, name="estimate"),
    path("usage/", views.usage_page, name="usage"),
    path("usage.csv", views.usage_csv, name="usage_csv"),
    path("usage/projects.csv", views.usage_projects_csv, name="usage_projects_csv"),
    path("usage/quota/", views.quota, name="quota"),
    path("usage/resolve/<int:entry_id>/", views.resolve, name="resolve"),
    path("prices/", views.prices, name="prices"),
    path("people/", views.team, name="team"),
    path("people/add/", views.team_add, name="team_add"),
    path("people/settings/", views.team_settings, name="team_settings"),
    path("people/<int:user_id>/", views.team_member, name="team_member"),
    path("people/<int:user_id>/link/", views.team_link, name="team_link"),
    path("people/link/done/", views.team_link_done, name="team_link_done"),
    path("people/<int:user_id>/deactivate/", views.team_deactivate, name="team_deactivate"),
    path("people/<int:user_id>/videos/", views.team_videos, name="team_videos"),
    path("audit/", views.audit_log, name="audit"),
    path("audit.csv", views.audit_csv, name="audit_csv"),
]
