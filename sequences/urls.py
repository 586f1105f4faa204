from django.urls import path

from . import views

app_name = "sequences"

urlpatterns = [
    path("sequences/", views.index, name="index"),
    path("sequences/<int:pk>/", views.detail, name="detail"),
    path("sequences/<int:pk>/shots/", views.shots, name="shots"),
    path("sequences/<int:pk>/shots/<int:shot_pk>/move/", views.move, name="move"),
    path("sequences/<int:pk>/shots/<int:shot_pk>/remove/", views.remove, name="remove"),
    path("sequences/<int:pk>/reorder/", views.reorder, name="reorder"),
    path("sequences/<int:pk>/plan/", views.plan, name="plan"),
    path("sequences/<int:pk>/generate/", views.generate, name="generate"),
    path("sequences/<int:pk>/transition/", views.transition, name="transition"),
    path("sequences/<int:pk>/export/", views.export, name="export"),
    path("sequences/<int:pk>/export/status/", views.export_status, name="export_status"),
    path(
        "sequences/<int:pk>/exports/<int:export_pk>/video.mp4",
        views.export_video,
        name="export_video",
    ),
    path(
        "sequences/<int:pk>/exports/<int:export_pk>/download/",
        views.export_download,
        name="export_download",
    ),
    path("sequences/<int:pk>/delete/", views.delete, name="delete"),
    path("videos/<uuid:video_pk>/add-to-sequence/", views.add_video, name="add_video"),
]
