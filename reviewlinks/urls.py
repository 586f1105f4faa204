from django.urls import path

from . import guest, views

app_name = "reviewlinks"

urlpatterns = [
    path("links/", views.index, name="index"),
    path("links/new/", views.new, name="new"),
    path("links/<int:link_pk>/", views.detail, name="detail"),
    path("links/<int:link_pk>/revoke/", views.revoke, name="revoke"),
    path(
        "links/guest-comments/<int:comment_pk>/delete/",
        views.delete_guest_comment,
        name="delete_guest_comment",
    ),
    # The guest's side: everything through one token, nothing else.
    path("l/<str:token>/", guest.page, name="guest"),
    path("l/<str:token>/name/", guest.guest_name, name="guest_name"),
    path("l/<str:token>/zip/", guest.download_zip, name="guest_zip"),
    path("l/<str:token>/v/<uuid:video>/video/", guest.video_file, name="guest_video"),
    path("l/<str:token>/v/<uuid:video>/poster/", guest.poster, name="guest_poster"),
    path("l/<str:token>/v/<uuid:video>/download/", guest.download, name="guest_download"),
    path("l/<str:token>/v/<uuid:video>/comment/", guest.comment, name="guest_comment"),
    path("l/<str:token>/v/<uuid:video>/decide/", guest.decide, name="guest_decide"),
]
