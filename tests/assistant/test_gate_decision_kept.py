"""The gate's decision is made once, when a message is received, and kept with it.

The answer step runs in another process, maybe minutes later (a re-enqueued task): it goes on from
the kept decision instead of classifying the text again, and the audit can read why every message,
routine ones included, was not escalated.
"""

from __future__ import annotations

import json

import pytest

from assistant import escalation, services
from assistant.models import Message

pytestmark = pytest.mark.django_db

MESSAGES = (
    "What is high blood pressure?",
    "my dad is slurring his words and his face droops on one side",
    "I have crushing chest pain going down my left arm",
    "can I take ibuprofen with my lisinopril?",
    "tengo dolor de pecho y no puedo respirar",
    "how do I prevent a shingles outbreak",
)


@pytest.mark.parametrize("text", MESSAGES)
def test_a_kept_decision_reads_back_exactly(text):
    decision = escalation.classify(text)
    stored = json.loads(json.dumps(decision.to_dict()))  # as a JSON column gives it back
    assert escalation.Decision.from_dict(stored) == decision


@pytest.mark.parametrize("kept", [None, {}, {"level": "bogus"}, "routine", {"level": "routine"}])
def test_anything_else_is_no_decision(kept):
    assert escalation.Decision.from_dict(kept) is None


def _receive(conversation, text):
    message, _ = services.message_receive(
        conversation=conversation, user=conversation.patient.user, text=text, client_id="k1"
    )
    return Message.objects.get(pk=message.pk)


def test_every_message_keeps_why_the_gate_decided(conversation):
    message = _receive(conversation, "What is high blood pressure?")
    kept = message.meta["gate"]
    assert kept["level"] == "routine"
    assert kept["rule_id"] and kept["exemplars"], "the nearest labelled messages are kept"


def test_the_answer_goes_on_from_the_kept_decision(conversation, small_retriever):
    message = _receive(conversation, "What is high blood pressure?")
    answer = services.message_answer(message_id=message.pk)
    assert answer.kind == "answer"
    decided = answer.meta["decision"]
    assert decided["level"] == "routine"
    assert decided["rule_id"] == message.meta["gate"]["rule_id"]


def test_a_message_without_a_readable_decision_is_classified_again(conversation, small_retriever):
    message = _receive(conversation, "What is high blood pressure?")
    Message.objects.filter(pk=message.pk).update(meta={"gate": {"level": "bogus"}})
    answer = services.message_answer(message_id=message.pk)
    assert answer.kind == "answer" and answer.meta["decision"]["level"] == "routine"
