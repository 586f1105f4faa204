""" "Improve my prompt": one chat completion through CometAPI, its cost on the ledger, and
the answer shown as a word-level difference from the prompt the person wrote."""

import difflib
import logging
import re
from dataclasses import dataclass

from django.conf import settings

from billing import ledger
from billing.ledger import CapExceeded
from lib.cometapi import CometAPIClient, CometAPIError
from veo.catalogue import size_name

from .models import PromptSettings

log = logging.getLogger(__name__)

PROMPT_MAX_LENGTH = 2000  # the New video form's limit (generations.forms)


class PromptHelpError(Exception):
    """The call could not help: `message` is the plain sentence to show beside the form."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Suggestion:
    original: str
    text: str
    cost: object  # Decimal: what the call was charged


def improve(person, prompt: str, *, model: str, size: str, seconds: int) -> Suggestion:
    """Ask the studio's chat model for a better prompt. Charges the call to the ledger once
    CometAPI has answered (it counted the tokens); raises PromptHelpError with a sentence
    for every way it can fail, having charged nothing."""
    prompt = prompt.strip()
    if not prompt:
        raise PromptHelpError("Write a prompt first; then Improve my prompt can work on it.")
    key = settings.COMETAPI_KEY or ("demo" if settings.DEMO_MODE else "")
    if not key:
        raise PromptHelpError(
            "Improve my prompt needs the studio's CometAPI key, and none is set. Ask an admin "
            "to set COMETAPI_KEY. Your prompt is unchanged."
        )
    try:
        ledger.check_prompt_help(person)
    except CapExceeded as refusal:
        raise PromptHelpError(refusal.message) from None
    studio = PromptSettings.load()
    client = CometAPIClient(
        settings.COMETAPI_BASE_URL,
        key,
        connect_timeout=settings.COMETAPI_CONNECT_TIMEOUT,
        read_timeout=settings.COMETAPI_READ_TIMEOUT,
    )
    shape = size_name(size) if size else "the chosen format"
    instruction = studio.instruction.replace("{seconds}", str(seconds)).replace("{format}", shape)
    message = (
        f"Prompt:\n{prompt}\n\nSettings: {seconds}-second clip, {shape}, model {model}.\n"
        "Improve the prompt."
    )
    try:
        answer = client.chat(model=studio.chat_model, system=instruction, user=message)
    except CometAPIError as error:
        log.warning("prompt help failed: %s", error.code_for_record)
        raise PromptHelpError(_sentence(error)) from None
    text = _cleaned(answer.text)
    entry = ledger.charge_prompt_help(
        person,
        input_tokens=answer.input_tokens,
        output_tokens=answer.output_tokens,
        model=studio.chat_model,
    )
    if not text:
        raise PromptHelpError(
            "The chat model answered nothing usable. Your prompt is unchanged; try again."
        )
    return Suggestion(original=prompt, text=text, cost=entry.amount)


def _sentence(error: CometAPIError) -> str:
    unchanged = "Your prompt is unchanged."
    if error.kind == "auth":
        return f"CometAPI refused the studio's key, so the prompt could not be improved. {unchanged} Ask an admin to check COMETAPI_KEY."
    if error.kind == "quota":
        return f"The CometAPI account is out of credit. {unchanged}"
    if error.kind in ("forbidden", "invalid", "not_found"):
        return f"CometAPI refused the request ({error.message.split(' (request id')[0]}). {unchanged} An admin can check the chat model under Presets → Improve my prompt settings."
    if error.kind == "timeout":
        return f"The chat model took too long to answer. {unchanged} Try again in a moment."
    if error.kind == "rate_limited":
        return f"CometAPI is busy right now. {unchanged} Try again in a moment."
    if error.kind == "network":
        return f"CometAPI could not be reached. {unchanged} Try again in a moment."
    return f"CometAPI answered something unexpected. {unchanged} Try again in a moment."


_FENCE = re.compile(r"^```[a-z]*\s*|\s*```$")


def _cleaned(text: str) -> str:
    """The model's answer as a prompt: no code fence, no quotes around it, no "Prompt:"."""
    text = _FENCE.sub("", text.strip()).strip()
    text = re.sub(r"^(improved prompt|prompt)\s*:\s*", "", text, flags=re.IGNORECASE)
    if len(text) > 1 and text[0] in "\"“'" and text[-1] in "\"”'":
        text = text[1:-1].strip()
    return text[:PROMPT_MAX_LENGTH]


# --- the difference, word by word -------------------------------------------------------------


_TOKENS = re.compile(r"\s+|[\w'’-]+|[^\w\s]")


def word_diff(original: str, suggestion: str) -> list[tuple[str, str]]:
    """(kind, text) pieces of the suggestion against the original: "same", "removed" (only in
    the original) and "added" (only in the suggestion), compared word by word (punctuation
    apart, so "field" and "field." share the word). Joined, the "same" and "removed" pieces
    give the original back exactly, and the "same" and "added" ones the suggestion."""
    before, after = _TOKENS.findall(original), _TOKENS.findall(suggestion)
    pieces: list[tuple[str, str]] = []

    def put(kind: str, text: str) -> None:
        if pieces and pieces[-1][0] == kind:
            pieces[-1] = (kind, pieces[-1][1] + text)
        elif text:
            pieces.append((kind, text))

    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            put("same", "".join(before[a1:a2]))
            continue
        if op in ("delete", "replace"):
            put("removed", "".join(before[a1:a2]))
        if op in ("insert", "replace"):
            put("added", "".join(after[b1:b2]))
    return pieces
