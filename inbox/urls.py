from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.read_all, name="read_all"),
    path("inbox/mail/", views.mail_choice, name="mail_choice"),
    path("inbox/<int:notification_pk>/", views.open_notification, name="open"),
]
