"""Lock-out behind the documented reverse proxy.

Every request reaches the app from the proxy's address; the client's own address is the
last entry the proxy appended to X-Forwarded-For. The attacks: a stranger locks a named
user (an admin) out, over and over; a stranger forges the header to pass as the victim
or to get fresh addresses; one address tries many user names.
"""

from datetime import timedelta

import time_machine
from django.test import RequestFactory, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from lib.lockout import client_ip
from tests.helpers import make_user

LOGIN_URL = reverse("login")
INDEX_URL = reverse("generations:index")
PASSWORD = "correct horse battery"
PROXY = "10.0.0.2"
VICTIM = "203.0.113.7"
ATTACKER = "198.51.100.9"


@override_settings(TRUSTED_PROXY_COUNT=1, AXES_FAILURE_LIMIT=5, AXES_ADDRESS_FAILURE_LIMIT=20)
class BehindTheProxyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = make_user("admin", PASSWORD)
        cls.admin.is_staff = cls.admin.is_superuser = True
        cls.admin.save()
        cls.bob = make_user("bob", PASSWORD)

    def attempt(self, username, password, client_address, forwarded_by_client=""):
        """A log-in through nginx: it appends the address it saw to what the client sent."""
        header = ", ".join(filter(None, [forwarded_by_client, client_address]))
        return self.client.post(
            LOGIN_URL,
            {"username": username, "password": password},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=header,
        )

    def assertLoggedIn(self, response, user):
        self.assertRedirects(response, INDEX_URL, fetch_redirect_response=False)
        self.assertEqual(self.client.session["_auth_user_id"], str(user.pk))
        self.client.logout()

    def assertLockedOut(self, response):
        self.assertEqual(response.status_code, 429)
        self.assertTemplateUsed(response, "registration/locked_out.html")

    def test_a_stranger_s_wrong_passwords_do_not_lock_the_admin_out(self):
        for _ in range(5):
            self.attempt("admin", "guess", ATTACKER)
        self.assertLockedOut(self.attempt("admin", "guess", ATTACKER))

        self.assertLoggedIn(self.attempt("admin", PASSWORD, VICTIM), self.admin)

    def test_forging_the_victim_s_address_in_the_header_locks_only_the_forger(self):
        for _ in range(6):
            self.attempt("admin", "guess", ATTACKER, forwarded_by_client=VICTIM)

        self.assertLoggedIn(self.attempt("admin", PASSWORD, VICTIM), self.admin)
        self.assertLockedOut(self.attempt("admin", PASSWORD, ATTACKER))

    def test_forged_addresses_in_the_header_do_not_buy_fresh_tries(self):
        for n in range(5):
            self.attempt("admin", "guess", ATTACKER, forwarded_by_client=f"192.0.2.{n}")

        self.assertLockedOut(self.attempt("admin", PASSWORD, ATTACKER))

    def test_an_attack_kept_up_for_an_hour_never_locks_the_admin_out(self):
        start = timezone.now()
        for minute in range(0, 60, 5):
            with time_machine.travel(start + timedelta(minutes=minute), tick=False):
                for _ in range(5):
                    self.attempt("admin", "guess", ATTACKER)
                self.assertLoggedIn(self.attempt("admin", PASSWORD, VICTIM), self.admin)

    def test_one_address_trying_many_user_names_is_throttled(self):
        for n in range(19):
            self.assertEqual(self.attempt(f"user{n}", "guess", ATTACKER).status_code, 200)
        self.assertLockedOut(self.attempt("user19", "guess", ATTACKER))

        # Even a right password is refused from that address until the cool-off ends...
        self.assertLockedOut(self.attempt("bob", PASSWORD, ATTACKER))
        # ...while everyone else logs in as usual.
        self.assertLoggedIn(self.attempt("bob", PASSWORD, VICTIM), self.bob)
        with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
            self.assertLoggedIn(self.attempt("bob", PASSWORD, ATTACKER), self.bob)

    def test_nineteen_failures_across_names_do_not_throttle(self):
        for n in range(19):
            self.attempt(f"user{n}", "guess", ATTACKER)

        self.assertLoggedIn(self.attempt("bob", PASSWORD, ATTACKER), self.bob)


class ClientAddressTests(TestCase):
    def address(self, forwarded=None, remote=PROXY):
        extra = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            extra["HTTP_X_FORWARDED_FOR"] = forwarded
        return client_ip(RequestFactory().get("/", **extra))

    @override_settings(TRUSTED_PROXY_COUNT=0)
    def test_without_a_trusted_proxy_the_header_is_ignored(self):
        self.assertEqual(self.address(f"{VICTIM}"), PROXY)

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_with_one_proxy_the_last_entry_is_the_client(self):
        self.assertEqual(self.address(VICTIM), VICTIM)
        self.assertEqual(self.address(f"1.2.3.4, {VICTIM}"), VICTIM)
        self.assertEqual(self.address(f"1.2.3.4,{VICTIM} "), VICTIM)

    @override_settings(TRUSTED_PROXY_COUNT=2)
    def test_with_two_proxies_the_second_from_the_right_is_the_client(self):
        self.assertEqual(self.address(f"1.2.3.4, {VICTIM}, 10.9.9.9"), VICTIM)

    @override_settings(TRUSTED_PROXY_COUNT=2)
    def test_a_request_that_skipped_a_proxy_counts_as_the_socket_s_address(self):
        self.assertEqual(self.address(VICTIM), PROXY)
        self.assertEqual(self.address(None), PROXY)

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_garbage_in_the_header_counts_as_the_socket_s_address(self):
        for forwarded in ("unknown", "<script>", "1.2.3.4, not-an-ip", ""):
            with self.subTest(forwarded):
                self.assertEqual(self.address(forwarded), PROXY)

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_ipv6_addresses_are_read_and_normalised(self):
        self.assertEqual(self.address("2001:DB8::0:1"), "2001:db8::1")
        self.assertEqual(self.address("[2001:db8::1]"), "2001:db8::1")
