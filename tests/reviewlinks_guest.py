"""A test client for a review link's guest: its POSTs to a link's address carry the form
key the guest's pages carry (reviewlinks.guest: `_form_key_matches`), as a browser's do."""

import re

from django.test import Client

from reviewlinks.guest import SESSION_KEY
from reviewlinks.models import ReviewLink

_LINK_PATH = re.compile(r"^/l/([^/]+)/")


class Guest(Client):
    def form_key(self, token: str) -> str:
        link = ReviewLink.find_by_token(token)
        if link is None:
            return ""
        state = self.session.get(SESSION_KEY, {}).get(str(link.pk))
        if state is None:
            self.get(f"/l/{token}/")  # a browser has the page open before it posts
            state = self.session.get(SESSION_KEY, {}).get(str(link.pk), {})
        return state.get("form_key", "")

    def post(self, path, data=None, *args, **kwargs):
        found = _LINK_PATH.match(path)
        if found and isinstance(data, dict | None):
            data = {"form_key": self.form_key(found.group(1)), **(data or {})}
        return super().post(path, data, *args, **kwargs)
