from django.urls import path

from . import team_views, views

app_name = "generations"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("new/first-frame/", views.first_frame_preview, name="first_frame_preview"),
    path("status/", views.poll, name="poll"),
    path("videos/<uuid:pk>/", views.detail, name="detail"),
    path("videos/<uuid:pk>/status/", views.status, name="status"),
    path("videos/<uuid:pk>/video.mp4", views.video, name="video"),
    path("videos/<uuid:pk>/download/", views.download, name="download"),
    path("videos/<uuid:pk>/poster.jpg", views.poster, name="poster"),
    path("videos/<uuid:pk>/first-frame.jpg", views.first_frame, name="first_frame"),
    path("videos/<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("videos/<uuid:pk>/stop/", views.stop, name="stop"),
    path("videos/<uuid:pk>/check-again/", views.check_again, name="check_again"),
    path("videos/<uuid:pk>/submit-again/", views.submit_again, name="submit_again"),
    path("videos/<uuid:pk>/delete/", views.delete, name="delete"),
    path("videos/<uuid:pk>/restore/", views.restore, name="restore"),
    path("videos/<uuid:pk>/delete-forever/", views.delete_forever, name="delete_forever"),
    path("videos/<uuid:pk>/star/", views.star, name="star"),
    path("videos/<uuid:pk>/again/", views.make_another, name="make_another"),
    path("videos/<uuid:pk>/takes/", views.takes, name="takes"),
    path("compare/", views.compare, name="compare"),
    path("selection/", views.selection, name="selection"),
    path("selection/videos.zip", views.download_zip, name="zip"),
    path("trash/", views.trash, name="trash"),
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
    path("videos/share/", team_views.share_many, name="share_many"),
    path("team/", team_views.team, name="team"),
    path("settings/", team_views.studio_settings, name="studio_settings"),
]
