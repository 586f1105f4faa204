from django.urls import path

from . import views

app_name = "sequences"

urlpatterns = [
    path("sequences/", views.index, name="index"),
    path("sequences/<int:sequence_pk>/", views.detail, name="detail"),
    path("sequences/<int:sequence_pk>/shots/", views.shots, name="shots"),
    path("sequences/<int:sequence_pk>/shots/<int:shot_pk>/move/", views.move, name="move"),
    path("sequences/<int:sequence_pk>/shots/<int:shot_pk>/remove/", views.remove, name="remove"),
    path("sequences/<int:sequence_pk>/reorder/", views.reorder, name="reorder"),
    path("sequences/<int:sequence_pk>/plan/", views.plan, name="plan"),
    path("sequences/<int:sequence_pk>/generate/", views.generate, name="generate"),
    path("sequences/<int:sequence_pk>/transition/", views.transition, name="transition"),
    path("sequences/<int:sequence_pk>/export/", views.export, name="export"),
    path("sequences/<int:sequence_pk>/export/status/", views.export_status, name="export_status"),
    path(
        "sequences/<int:sequence_pk>/exports/<int:export_pk>/video.mp4",
        views.export_video,
        name="export_video",
    ),
    path(
        "sequences/<int:sequence_pk>/exports/<int:export_pk>/download/",
        views.export_download,
        name="export_download",
    ),
    path("sequences/<int:sequence_pk>/delete/", views.delete, name="delete"),
    path("videos/<uuid:video_pk>/add-to-sequence/", views.add_video, name="add_video"),
]
