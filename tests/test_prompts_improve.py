"""Improve my prompt: the prompt and its settings go to a chat model through CometAPI's
chat completions (the simulator, over HTTP); the answer comes back as a word-level
difference, the call is charged as its own ledger entry, and every failure leaves the form
as it was with a plain sentence and no charge."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from billing import ledger
from billing.models import EntryKind, LedgerEntry, Member, StudioSettings
from cometsim.server import improved_prompt
from prompts.improve import word_diff
from prompts.models import DEFAULT_INSTRUCTION, PromptSettings
from reports import usage

from .helpers import StudioTestCase, body, make_user

PROMPT = "A bottle of perfume on marble"


def help_entries(person):
    return LedgerEntry.objects.filter(person=person, kind=EntryKind.PROMPT_HELP)


@pytest.mark.usefixtures("sim")
class ImproveMyPromptTests(StudioTestCase):
    def improve(self, prompt=PROMPT, **settings):
        data = {"prompt": prompt, "model": "veo3.1", "size": "720x1280", "seconds": "8"}
        return self.client.post(reverse("prompts:improve"), {**data, **settings})

    def test_the_suggestion_is_shown_beside_the_prompt_as_a_word_difference(self):
        response = self.improve()
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        suggestion = improved_prompt(f"Prompt:\n{PROMPT}\n\nSettings: …")
        self.assertIn(f">{suggestion}</textarea>", html)
        self.assertIn("<ins>Cinematic shot: </ins>", html)
        self.assertIn("Your prompt", html)
        self.assertIn("Nothing is generated until you press Generate.", html)

    def test_the_chat_model_gets_the_admins_instruction_the_prompt_and_the_settings(self):
        row = PromptSettings.load()
        row.instruction = "Be brief. A {seconds}-second clip, {format}."
        row.chat_model = "claude-haiku"
        row.save()
        self.improve()
        (sent,) = self.sim.chats
        self.assertEqual(sent["model"], "claude-haiku")
        system, user = sent["messages"]
        self.assertEqual(
            system, {"role": "system", "content": "Be brief. A 8-second clip, Portrait 720p."}
        )
        self.assertEqual(user["role"], "user")
        self.assertIn(f"Prompt:\n{PROMPT}\n", user["content"])
        self.assertIn("8-second clip, Portrait 720p, model veo3.1", user["content"])

    def test_the_default_instruction_is_written_for_veo(self):
        instruction = PromptSettings.load().instruction
        self.assertEqual(instruction, DEFAULT_INSTRUCTION)
        for part in ("subject", "action", "camera", "lighting", "style", "audio", "120 words"):
            self.assertIn(part, instruction)

    def test_the_call_is_charged_from_its_tokens_as_its_own_kind_of_entry(self):
        studio = StudioSettings.load()
        studio.prompt_help_input_per_million = Decimal("1.00")
        studio.prompt_help_output_per_million = Decimal("4.00")
        studio.save()
        self.improve()
        (entry,) = help_entries(self.alice)
        # This test's call (the simulator is shared: a browser test's call still in flight
        # when it ended may land here too).
        (chat,) = [c for c in self.sim.chats if PROMPT in c["messages"][1]["content"]]
        # The simulator's usage for this call, priced at $1/M in and $4/M out, rounded up.
        words_in = len(chat["messages"][0]["content"].split()) + len(
            chat["messages"][1]["content"].split()
        )
        tokens_in = words_in * 4 // 3 + 8
        answer = improved_prompt(chat["messages"][1]["content"])
        tokens_out = len(answer.split()) * 4 // 3
        expected = ledger.prompt_help_cost(tokens_in, tokens_out, studio)
        self.assertGreater(expected, 0)
        self.assertEqual(entry.amount, expected)
        self.assertEqual((entry.charged, entry.reserved), (expected, Decimal("0")))
        self.assertEqual(entry.reason, f"{tokens_in}+{tokens_out} tokens gpt-4o-mini")
        self.assertEqual(entry.seconds, 0)

    def test_usage_and_the_ledger_csv_show_the_prompt_help(self):
        self.improve()
        entry = help_entries(self.alice).get()
        month = usage.month(self.alice)
        self.assertEqual(month.spent, entry.amount)
        self.assertEqual(month.videos, 0)
        page = self.client.get(reverse("billing:usage")).content.decode()
        self.assertIn("Improve my prompt: 1 call", page)
        admin = make_user("boss", is_staff=True)
        self.client.force_login(admin)
        csv = body(self.client.get(reverse("billing:usage_csv"))).decode()
        (line,) = [row for row in csv.splitlines() if ",prompt_help," in row]
        self.assertIn(",alice,", line)
        self.assertIn(str(entry.amount), line)

    def test_a_tiny_call_is_never_written_as_free(self):
        self.assertEqual(ledger.prompt_help_cost(1, 1), Decimal("0.0001"))
        self.assertEqual(ledger.prompt_help_cost(1000, 500), Decimal("0.0018"))

    def test_without_a_key_it_says_so_and_calls_nothing(self):
        with override_settings(COMETAPI_KEY="", DEMO_MODE=False):
            response = self.improve()
        self.assertContains(response, "needs the studio&#x27;s CometAPI key")
        self.assertContains(response, "Your prompt is unchanged.")
        self.assertEqual(self.sim.chats, [])
        self.assertFalse(help_entries(self.alice).exists())

    def test_a_refused_key_is_a_plain_sentence_and_costs_nothing(self):
        self.sim.fail_next("chat", 401)
        response = self.improve()
        self.assertContains(response, "CometAPI refused the studio&#x27;s key")
        self.assertNotContains(response, "suggestion-text")
        self.assertFalse(help_entries(self.alice).exists())

    def test_a_model_the_key_may_not_use_is_refused_plainly(self):
        self.sim.fail_next("chat", 403)
        response = self.improve()
        self.assertContains(response, "CometAPI refused the request (Forbidden")
        self.assertFalse(help_entries(self.alice).exists())

    def test_a_slow_chat_model_times_out_with_a_sentence(self):
        self.sim.hang_next("chat", 3.0)  # the fixture's read timeout is 2 s
        response = self.improve()
        self.assertContains(response, "The chat model took too long to answer.")
        self.assertFalse(help_entries(self.alice).exists())

    def test_an_empty_prompt_asks_for_one_first(self):
        response = self.improve(prompt="   ")
        self.assertContains(response, "Write a prompt first")
        self.assertEqual(self.sim.chats, [])

    def test_a_used_up_cap_refuses_before_calling(self):
        member = Member.for_user(self.alice)
        member.monthly_cap = Decimal("0")
        member.save()
        response = self.improve()
        self.assertContains(response, "monthly cap leaves $0.00")
        self.assertEqual(self.sim.chats, [])
        self.assertFalse(help_entries(self.alice).exists())

    def test_improving_generates_nothing(self):
        self.improve()
        self.assertEqual(self.sim.create_count, 0)
        self.assertFalse(LedgerEntry.objects.exclude(kind=EntryKind.PROMPT_HELP).exists())


class AdminSettingsTests(StudioTestCase):
    def test_an_admin_sets_the_instruction_model_and_rates(self):
        admin = make_user("boss", is_staff=True)
        self.client.force_login(admin)
        response = self.client.post(
            reverse("prompts:settings"),
            {
                "instruction": "Write for Veo.",
                "chat_model": "gpt-4.1-mini",
                "input_per_million": "0.5",
                "output_per_million": "2",
            },
        )
        self.assertEqual(response.status_code, 302)
        row, studio = PromptSettings.load(), StudioSettings.load()
        self.assertEqual((row.instruction, row.chat_model), ("Write for Veo.", "gpt-4.1-mini"))
        self.assertEqual(studio.prompt_help_input_per_million, Decimal("0.5"))
        self.assertEqual(studio.prompt_help_output_per_million, Decimal("2"))
        self.client.post(reverse("prompts:reset_instruction"))
        self.assertEqual(PromptSettings.load().instruction, DEFAULT_INSTRUCTION)

    def test_a_member_may_not_change_them(self):
        response = self.client.post(
            reverse("prompts:settings"),
            {
                "instruction": "x",
                "chat_model": "x",
                "input_per_million": "0",
                "output_per_million": "0",
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(PromptSettings.load().instruction, DEFAULT_INSTRUCTION)


def test_the_difference_marks_added_and_removed_words():
    original = "A red kite at dusk"
    suggestion = "A red paper kite at golden dusk, slowly"
    pieces = word_diff(original, suggestion)
    assert pieces == [
        ("same", "A red"),
        ("added", " paper"),
        ("same", " kite at "),
        ("added", "golden "),
        ("same", "dusk"),
        ("added", ", slowly"),
    ]
    assert "".join(text for kind, text in pieces if kind != "added") == original
    assert "".join(text for kind, text in pieces if kind != "removed") == suggestion


def test_a_changed_word_shows_as_removed_then_added():
    pieces = word_diff("A blue car at noon.", "A red car at noon.")
    assert pieces == [
        ("same", "A "),
        ("removed", "blue"),
        ("added", "red"),
        ("same", " car at noon."),
    ]
