"""Prices: the admin-edited table, the studio discount, and the estimate before Generate."""

from decimal import Decimal

from django.urls import reverse

from billing import ledger
from billing.models import AuditEntry, Price, StudioSettings
from generations.models import EventKind, Generation

from .helpers import StudioTestCase, make_generation, make_user


class DefaultPriceTests(StudioTestCase):
    def test_the_cheapest_and_dearest_eight_second_clips_match_the_list_less_twenty_percent(self):
        cheapest = ledger.estimate("veo3.1-fast", "1280x720", 8)
        dearest = ledger.estimate("veo3.1", "3840x2160", 8)
        self.assertEqual(cheapest.amount, Decimal("0.64"))
        self.assertEqual(cheapest.label, "$0.64 · 8 s × $0.08/s")
        self.assertEqual(dearest.amount, Decimal("3.84"))

    def test_takes_multiply_the_price_and_say_so(self):
        quote = ledger.estimate("veo3.1-fast", "1280x720", 4, takes=3)
        self.assertEqual(quote.amount, Decimal("0.96"))
        self.assertEqual(quote.label, "$0.96 · 3 takes × 4 s × $0.08/s")

    def test_1080p_and_4k_are_priced_at_eight_seconds_whatever_was_asked(self):
        self.assertEqual(ledger.estimate("veo3.1-fast", "1920x1080", 4).seconds, 8)
        self.assertEqual(ledger.estimate("veo3.1-fast", "1920x1080", 4).rate, Decimal("0.096"))


class EstimateOnTheFormTests(StudioTestCase):
    def test_the_form_shows_the_price_for_its_first_settings_and_what_is_left(self):
        response = self.client.get(reverse("generations:create"))
        self.assertContains(response, "$0.32 · 4 s × $0.08/s")
        self.assertContains(response, "No monthly cap.")
        self.assertContains(response, 'hx-get="/estimate/"')

    def test_the_estimate_follows_the_settings_and_says_when_the_format_forces_8_s(self):
        response = self.client.get(
            reverse("billing:estimate"), {"model": "veo3.1", "size": "3840x2160", "seconds": "4"}
        )
        self.assertContains(response, "$3.84 · 8 s × $0.48/s")
        self.assertContains(response, "only as an 8-second clip")

    def test_the_estimate_shows_what_is_left_under_a_cap_and_warns_before_passing_it(self):
        member = self.alice.member if hasattr(self.alice, "member") else None
        from billing.models import Member

        member = Member.for_user(self.alice)
        member.monthly_cap = Decimal("1.00")
        member.save()
        response = self.client.get(
            reverse("billing:estimate"), {"model": "veo3.1", "size": "1280x720", "seconds": "8"}
        )
        self.assertContains(response, "Left this month: $1.00 of your $1.00 cap")
        self.assertContains(response, "This would cost $2.56")

    def test_nonsense_settings_get_a_price_for_the_defaults_not_an_error(self):
        response = self.client.get(
            reverse("billing:estimate"), {"model": "x", "seconds": "many", "takes": "lots"}
        )
        self.assertContains(response, "$0.32 · 4 s × $0.08/s")


class JobPriceTests(StudioTestCase):
    def test_a_job_keeps_the_rate_and_amount_it_was_sent_at_after_prices_change(self):
        job = make_generation(self.alice, model="veo3.1-fast", seconds=8)
        Price.objects.filter(model="veo3.1-fast", tier="720p").update(
            list_per_second=Decimal("1.00")
        )
        charge = ledger.charge_of(job.pk)
        assert charge is not None
        self.assertEqual((charge.rate, charge.amount), (Decimal("0.08"), Decimal("0.64")))
        created = job.events.get(kind=EventKind.CREATED)
        self.assertEqual(created.amount, Decimal("0.64"))
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "$0.64 · 8 s × $0.08/s")


class PricePageTests(StudioTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.admin = make_user("carol")
        cls.admin.is_staff = True
        cls.admin.save()

    def test_a_teammate_who_is_not_an_admin_cannot_open_it(self):
        self.assertEqual(self.client.get(reverse("billing:prices")).status_code, 403)
        self.assertEqual(self.client.post(reverse("billing:prices"), {}).status_code, 403)

    def form_data(self, **changes):
        data = {"discount_percent": "20"}
        for price in Price.objects.all():
            data[f"price_{price.model}_{price.tier}".replace(".", "_").replace("-", "_")] = str(
                price.list_per_second
            )
        data.update(changes)
        return data

    def test_an_admin_changes_a_price_and_the_discount_and_both_are_audited(self):
        self.client.force_login(self.admin)
        page = self.client.get(reverse("billing:prices"))
        self.assertContains(page, "Estimates in US dollars per second")
        response = self.client.post(
            reverse("billing:prices"),
            self.form_data(price_veo3_1_fast_720p="0.20", discount_percent="50"),
        )
        self.assertRedirects(response, reverse("billing:prices"))
        self.assertEqual(ledger.estimate("veo3.1-fast", "1280x720", 8).amount, Decimal("0.80"))
        self.assertEqual(StudioSettings.load().discount_percent, Decimal("50"))
        actions = set(AuditEntry.objects.values_list("action", flat=True))
        self.assertEqual(actions, {"price_changed", "settings_changed"})

    def test_a_bad_price_is_refused_with_a_message_and_nothing_changes(self):
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("billing:prices"), self.form_data(price_veo3_1_720p="lots")
        )
        self.assertContains(response, "Please enter dollars per second", status_code=200)
        self.assertEqual(
            Price.objects.get(model="veo3.1", tier="720p").list_per_second, Decimal("0.40")
        )
        self.assertFalse(Generation.objects.exists())
