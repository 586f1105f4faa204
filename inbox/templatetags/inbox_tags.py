from django import template

from generations.notifications import unread_count

register = template.Library()


@register.inclusion_tag("inbox/_bell.html", takes_context=True)
def inbox_bell(context) -> dict:
    """The header's bell: one count of the person's unread lines (only on a whole page;
    then the page's poll asks for it now and then, poll.js)."""
    user = context["user"]
    return {"inbox_unread": unread_count(user) if user.is_authenticated else 0}
