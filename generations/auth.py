"""The log-in backend: Django's, reading the person's role with them (one query per request,
as before roles): every page asks `access.is_reviewer` for its header."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StudioBackend(ModelBackend):
    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("teammate").get(pk=user_id)
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
