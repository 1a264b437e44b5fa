"""The optional LLM composer, driven by LangChain's fake chat models (the edge of the world).

A reply is used only when every sentence cites a passage that exists and is supported by it;
anything else falls back to the extractive answer and says why.
"""

from __future__ import annotations

import time

import pytest
from answer_fakes import passage
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    GenericFakeChatModel,
)
from langchain_core.messages import AIMessage

from assistant.answer.llm import LLMComposer, check_sentence, llm_composer_from_env

QUESTION = "What is high blood pressure and how is it treated?"


class PromptRecorder(BaseCallbackHandler):
    """Keeps the messages each chat-model call received."""

    def __init__(self) -> None:
        self.calls: list[list] = []

    def on_chat_model_start(self, serialized, messages, **kwargs):
        self.calls.extend(messages)

    def text(self) -> str:
        return "\n".join(str(m.content) for call in self.calls for m in call)


@pytest.fixture
def passages():
    return [
        passage("MPlusHealthTopics_0000471_Sec1"),  # [1] what high blood pressure is
        passage("NIHSeniorHealth_0000036_Sec20"),  # [2] how it is treated
        passage("MPlusDrugs_0000713_Sec3"),  # [3] lisinopril usage: dosing wording inside
    ]


def _compose(reply: str, passages, recorder=None):
    model = FakeListChatModel(responses=[reply], callbacks=[recorder] if recorder else None)
    return LLMComposer(model).compose(
        question=QUESTION, query=QUESTION, passages=passages, conditions=["Hypertension"]
    )


def test_a_grounded_reply_is_accepted_with_its_citations(passages):
    reply = (
        "High blood pressure usually has no symptoms, but it can cause stroke, heart failure "
        "and kidney failure [1]. It is treated with lifestyle changes and medicines [2]."
    )
    composition = _compose(reply, passages)
    assert composition.composer == "llm"
    assert [s.sources for s in composition.statements] == [(0,), (1,)]
    assert composition.statements[1].text == "It is treated with lifestyle changes and medicines."
    assert "llm_rejected" not in composition.meta


def test_an_unsupported_claim_sends_the_extractive_answer_instead(passages):
    reply = (
        "High blood pressure usually has no symptoms [1]. It can be cured for good in two weeks "
        "by drinking beet juice every morning [2]."
    )
    composition = _compose(reply, passages)
    assert composition.composer == "extractive"
    assert composition.meta["llm_rejected"] == "unsupported_sentence"
    assert "beet juice" in composition.meta["llm_rejected_detail"]
    assert composition.statements  # the patient still gets an answer
    assert all("beet" not in s.text for s in composition.statements)


def test_a_number_the_passage_does_not_contain_is_unsupported(passages):
    # Every word is in passage [1]; the reading is not.
    reply = "A blood pressure reading of 150/95 is normal blood pressure [1]."
    composition = _compose(reply, passages)
    assert composition.meta["llm_rejected"] == "unsupported_sentence"
    assert "150/95" in composition.meta["llm_rejected_detail"]


def test_citing_a_passage_that_does_not_exist_is_rejected(passages):
    reply = (
        "High blood pressure usually has no symptoms [1]. "
        "It is treated with lifestyle changes and medicines [7]."
    )
    composition = _compose(reply, passages)
    assert composition.composer == "extractive"
    assert composition.meta["llm_rejected"] == "unknown_citation"


def test_a_sentence_without_a_citation_is_rejected_unless_it_only_refers_to_the_care_team(
    passages,
):
    uncited = "High blood pressure usually has no symptoms. It is treated with medicines [2]."
    assert _compose(uncited, passages).meta["llm_rejected"] == "uncited_sentence"

    referral = (
        "High blood pressure usually has no symptoms [1]. "
        "Talk to your doctor about your treatment plan."
    )
    accepted = _compose(referral, passages)
    assert accepted.composer == "llm"
    assert [s.text for s in accepted.statements] == ["High blood pressure usually has no symptoms."]


def test_a_declined_or_failed_model_falls_back(passages):
    assert _compose("NO_ANSWER", passages).meta["llm_rejected"] == "model_declined"

    class Unreachable(GenericFakeChatModel):
        def _generate(self, *args, **kwargs):
            raise TimeoutError("provider timed out")

    composition = LLMComposer(Unreachable(messages=iter([AIMessage("x")]))).compose(
        question=QUESTION, query=QUESTION, passages=passages, conditions=()
    )
    assert composition.composer == "extractive"
    assert composition.meta["llm_rejected"] == "model_error"


def test_the_model_sees_only_passages_condition_names_and_the_question(passages):
    recorder = PromptRecorder()
    _compose("High blood pressure usually has no symptoms [1].", passages, recorder)
    prompt = recorder.text()
    assert "Hypertension" in prompt
    assert QUESTION in prompt
    assert "[1] High Blood Pressure" in prompt and "[3] Lisinopril" in prompt
    # Dosing sentences of a passage are removed before the model reads it.
    assert "gradually increase your dose" in passages[2].text
    assert "gradually increase your dose" not in prompt


def test_support_is_measured_on_the_cited_passage_only(passages):
    sentence = "It is treated with lifestyle changes and medicines."
    assert check_sentence(sentence, [2], passages).supported
    assert not check_sentence(sentence, [1], passages).supported


def test_no_composer_without_a_configured_model():
    assert llm_composer_from_env("", "") is None
    assert llm_composer_from_env("no-such-provider", "some-model") is None


class _Flaky(GenericFakeChatModel):
    """A provider that hangs or errors on its first calls, then answers."""

    failures: list = []
    calls: int = 0

    def _generate(self, *args, **kwargs):
        self.calls += 1
        if self.failures:
            failure = self.failures.pop(0)
            if failure == "hang":
                time.sleep(5)
            else:
                raise ConnectionError("provider reset the connection")
        return super()._generate(*args, **kwargs)


GROUNDED = "High blood pressure usually has no symptoms [1]."


def test_a_hung_model_is_cut_off_and_tried_again_within_the_bound(passages):
    model = _Flaky(messages=iter([AIMessage(GROUNDED)]), failures=["hang"])
    started = time.monotonic()
    composition = LLMComposer(model, timeout_seconds=0.3, max_attempts=2).compose(
        question=QUESTION, query=QUESTION, passages=passages, conditions=()
    )
    assert time.monotonic() - started < 3  # not the 5 s the provider would have hung
    assert composition.composer == "llm" and model.calls == 2


def test_a_failing_model_is_tried_a_bounded_number_of_times_then_falls_back(passages):
    model = _Flaky(messages=iter([AIMessage(GROUNDED)]), failures=["error"] * 5)
    composition = LLMComposer(model, timeout_seconds=1, max_attempts=3).compose(
        question=QUESTION, query=QUESTION, passages=passages, conditions=()
    )
    assert model.calls == 3
    assert composition.composer == "extractive"
    assert composition.meta["llm_rejected"] == "model_error"
