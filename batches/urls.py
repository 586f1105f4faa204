from django.urls import path

from . import views

app_name = "batches"

urlpatterns = [
    path("batches/", views.batches, name="batches"),
    path("batches/<int:batch_pk>/", views.plan, name="plan"),
    path("batches/<int:batch_pk>/project/", views.choose_project, name="project"),
    path("batches/<int:batch_pk>/sequence/", views.choose_sequence, name="sequence"),
    path("batches/<int:batch_pk>/generate/", views.generate, name="generate"),
    path("batches/<int:batch_pk>/delete/", views.discard, name="delete"),
    path("batches/<int:batch_pk>/videos/", views.videos, name="videos"),
    path("batches/<int:batch_pk>/rows/<int:row_pk>/", views.row_view, name="row"),
    path("batches/<int:batch_pk>/rows/<int:row_pk>/edit/", views.row_edit, name="row_edit"),
    path("batches/<int:batch_pk>/rows/<int:row_pk>/remove/", views.row_remove, name="row_remove"),
]
