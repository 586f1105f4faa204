from django.urls import path

from . import team_views
from .views import compare, create, frames, gallery, media, poll, projects, review, trash, video

app_name = "generations"

urlpatterns = [
    # First: the page's poll is most of all requests (see veostudio/urls.py).
    path("status/", poll.poll, name="poll"),
    path("", gallery.index, name="index"),
    path("new/", create.create, name="create"),
    path("new/first-frame/", create.first_frame_preview, name="first_frame_preview"),
    path("videos/<uuid:pk>/", video.detail, name="detail"),
    path("videos/<uuid:pk>/status/", video.status, name="status"),
    path("videos/<uuid:pk>/video.mp4", media.video, name="video"),
    path("videos/<uuid:pk>/download/", media.download, name="download"),
    path("videos/<uuid:pk>/poster.jpg", media.poster, name="poster"),
    path("videos/<uuid:pk>/first-frame.jpg", media.first_frame, name="first_frame"),
    path("videos/<uuid:pk>/cancel/", video.cancel, name="cancel"),
    path("videos/<uuid:pk>/stop/", video.stop, name="stop"),
    path("videos/<uuid:pk>/check-again/", video.check_again, name="check_again"),
    path("videos/<uuid:pk>/submit-again/", video.submit_again, name="submit_again"),
    path("videos/<uuid:pk>/delete/", video.delete, name="delete"),
    path("videos/<uuid:pk>/restore/", trash.restore, name="restore"),
    path("videos/<uuid:pk>/delete-forever/", trash.delete_forever, name="delete_forever"),
    path("videos/<uuid:pk>/star/", video.star, name="star"),
    path("videos/<uuid:pk>/again/", create.make_another, name="make_another"),
    path("videos/<uuid:pk>/takes/", video.takes, name="takes"),
    path("videos/<uuid:pk>/use-frame/", frames.use_frame, name="use_frame"),
    path("videos/<uuid:pk>/decide/", review.decide, name="decide"),
    path("videos/<uuid:pk>/rename/", review.rename, name="rename"),
    path("compare/", compare.compare, name="compare"),
    path("selection/", gallery.selection, name="selection"),
    path("selection/videos.zip", media.download_zip, name="zip"),
    path("trash/", trash.trash, name="trash"),
    path("videos/<uuid:pk>/share/", team_views.share, name="share"),
    path("videos/<uuid:pk>/unshare/", team_views.unshare, name="unshare"),
    path("videos/<uuid:pk>/comments/", team_views.comments, name="comments"),
    path(
        "videos/<uuid:pk>/comments/<int:comment_pk>/edit/",
        team_views.comment_edit,
        name="comment_edit",
    ),
    path(
        "videos/<uuid:pk>/comments/<int:comment_pk>/delete/",
        team_views.comment_delete,
        name="comment_delete",
    ),
    path(
        "videos/<uuid:pk>/comments/<int:comment_pk>/resolve/",
        team_views.comment_resolve,
        name="comment_resolve",
    ),
    path("videos/<uuid:pk>/people/", team_views.mention_suggestions, name="mention_suggestions"),
    path("videos/share/", team_views.share_many, name="share_many"),
    path("team/", team_views.team, name="team"),
    path("projects/", projects.projects, name="projects"),
    path("projects/<int:project_pk>/", projects.project, name="project"),
    path("projects/<int:project_pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:project_pk>/budget/", projects.project_budget, name="project_budget"),
    path("projects/<int:project_pk>/archive/", projects.project_archive, name="project_archive"),
    path("projects/<int:project_pk>/restore/", projects.project_restore, name="project_restore"),
    path("videos/<uuid:pk>/move/", projects.move, name="move"),
    path("settings/", team_views.studio_settings, name="studio_settings"),
]
