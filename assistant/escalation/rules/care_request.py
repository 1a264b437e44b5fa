"""Asking for a person, or which level of care to seek (urgent)."""

from __future__ import annotations

import re

from . import instructions as say
from .base import URGENT, Rule

HUMAN_REQUEST = Rule(
    id="urgent.human_request",
    level=URGENT,
    category="human_request",
    title="Asks for a nurse, doctor or a real person",
    rationale=(
        "A patient who asks for a person gets one: the assistant never stands between a "
        "patient and their care team."
    ),
    patterns=(
        r"\b(?:talk|speak|chat|speaking|talking|communicate) (?:to|with) (?:a |an |the |my |some "
        r")?(?:\w+ )?(?:nurse|doctor|physician|provider|pharmacist|human|person|someone|somebody|"
        r"people|care team|team|clinician|practitioner|np|pa|rn|therapist|counselor|agent|"
        r"representative|staff|humans|being)\b",
        r"\b(?:doctor|nurse|someone|somebody|provider|anyone|anybody|team) (?:\w+ )?(?:call|"
        r"calls|contact|text|ring) (?:me|us)\b|\b(?:call|ring|phone) me (?:back|please|asap|today"
        r"|when)\b",
        # "would like", never the comparison ("keep icing it like the nurse said").
        r"\b(?:need|want|(?:would|id|i|we) (?:really |also |just )?like|get) (?:\w+ )?(?:a |an "
        r"|to see a |to see an )?(?:nurse|human|real "
        r"person|actual person|live person|real doctor|doctor|physician)\b(?! note| appointment)",
        r"\b(?:hablar|comunicarme|platicar) con (?:un |una |el |la |mi |alguien )?(?:\w+ ){0,2}?"
        r"(?:enfermer[oa]|doctora?|medic[oa]|persona|humano|alguien|equipo|farmaceutico)\b",
        r"\b(?:me|nos) (?:puede|pueden|podria|podrian) llamar\b|\bllam(?:e|en)me\b",
        r"\bparler (?:a|avec) (?:un |une )?(?:infirmiere?|medecin|docteur|humain|personne)\b",
    ),
    examples=(
        "can I talk to a nurse please",
        "I want to speak to a real person",
        "lemme talk to an actual human",
        "can my doctor call me back today",
        "quiero hablar con una enfermera",
        "¿me puede llamar una enfermera?",
        "get me a real doctor",
        "id really like a nurse to call me about my sugars",
    ),
    counter_examples=(
        "how do I talk to my teenager about vaping?",
        "thanks, I'll keep icing my ankle like the nurse said",
        "ok, I will wait for the nurse to call me back",
    ),
    instructions=say.URGENT,
    # Waiting for a call already arranged is no new request ("I'll wait for the nurse to call me
    # back"); asking for one is ("can the nurse call me back").
    denied_by=re.compile(
        r"\bwait(?:ing)? (?:for|on) (?:the |my |a |your )?(?:\w+ ){0,2}?(?:to )?(?:call|calls"
        r"|contact|text|ring) (?:me|us)(?: back)?\b|\besperar (?:a )?que (?:me|nos) llamen?\b"
    ),
)

CARE_LEVEL_QUESTION = Rule(
    id="urgent.care_level_question",
    level=URGENT,
    category="care_level_question",
    title="Asks whether to go to the ER, urgent care or be seen",
    rationale=(
        "A patient weighing whether to go in has a symptom worrying enough to ask; a nurse "
        "should triage it, and the reply tells them to call 911 if they think it is an "
        "emergency."
    ),
    patterns=(
        r"\b(?:should|do|shall|would|must) (?:i|we|he|she) (?:\w+ ){0,2}?(?:go to (?:the )?(?:er|"
        r"emergency|hospital|urgent care|ed)|go in|be seen|see (?:a |the )?doctor)\b",
        r"\b(?:do|does) (?:i|he|she|we) need (?:to )?(?:go to |see )?(?:the |a )?(?:er|emergency "
        r"room|hospital|doctor|urgent care)\b",
        r"\b(?:debo|debemos|deberia) (?:ir|llevarl[oa]) (?:a |al )?(?:la sala de )?(?:emergencias|"
        r"urgencias|hospital)\b",
    ),
    examples=("should I go to the ER?", "do I need to see a doctor for this rash?"),
    counter_examples=("when should you go to the ER for a fever in general?",),
    instructions=say.URGENT,
    education_lowerable=True,
)
