"""Who is logging in, and when to stop them.

Behind a reverse proxy every request comes from the proxy's address, so django-axes
locked the user name itself: five wrong passwords from anyone locked any named user out,
admins too, again and again. Two changes:

* the client address is read from X-Forwarded-For, counting TRUSTED_PROXY_COUNT entries
  from the right: each trusted proxy appends the address it saw, so entries further left
  were written by the client and prove nothing;
* a lock-out is for the pair (user name, address) only, which a stranger can only put on
  themselves, plus a throttle per address across all user names (ADDRESS_FAILURE_LIMIT
  failures within the cool-off), so one address cannot try many names either. Both lift
  after AXES_COOLOFF_MINUTES. A person who mistypes at home is not locked out at work.
"""

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = [part.strip() for part in header.split(",") if part.strip()]
    if len(forwarded) < count:
        # Not through every trusted proxy: only the socket's address is known to be true.
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count].strip("[]")))
    except ValueError:
        return remote


class StudioAxesHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The pair's failures, or the lock-out limit once the address is throttled.

        Axes compares this one number with its limit both when refusing a log-in and when
        showing the locked-out page, so the throttle answers like a lock-out does.
        """
        failures = super().get_failures(request, credentials)
        if self.failures_from_address(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(failures, get_failure_limit(request, credentials))
        return failures

    def failures_from_address(self, request) -> int:
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return 0
        attempts = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
        )
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
