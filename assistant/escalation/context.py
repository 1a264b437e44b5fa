"""Report versus question: is someone living this now, or is the message about it?

"My chest hurts" and "what does chest pain from angina feel like?" share their key words; only the
frame tells a report from a question. `situation` names the frame of a whole message:

- `report`: someone (the writer, or a person with or near them) has it now or just had it:
  "I have", "my husband is", "right now", "since this morning", a first-person verb in Spanish;
- `question`: a general question about a condition, its signs, causes, treatment or prevention
  (a question about preventing something is one even when it names the writer, unless something
  says it is present: "still", "now", "since");
- `past`: set firmly in the past with nothing saying it is back ("I had a stroke in 2019");
- `hypothetical`: "what if", "suppose", "in case", "if I ever";
- `third_party`: a school, work, course or caregiving-training context ("for my nursing class"),
  or what the writer read, watched, teaches or writes about (`TOPIC_FRAMES`);
- `negated`: every symptom denied ("no chest pain, just asking about heartburn"), or the writer
  says that everyone concerned is well now ("it's gone now and I feel fine", "she's fine");
- `statement`: none of these (a greeting, a request about the portal).

The gate uses it only to let an *urgent* symptom rule's match be lowered to routine when the
classifier agrees (any frame but `report`); a report is never lowered, and an emergency is never
lowered by anything.
"""

from __future__ import annotations

import re

from assistant.escalation.normalise import Text
from assistant.escalation.rules.base import (
    EDUCATION_FRAMES,
    HISTORY,
    STILL_PRESENT,
    TOPIC_FRAMES,
    has_lived_experience,
)

REPORT = "report"
QUESTION = "question"
PAST = "past"
HYPOTHETICAL = "hypothetical"
THIRD_PARTY = "third_party"
NEGATED = "negated"
STATEMENT = "statement"

_HYPOTHETICAL = re.compile(
    r"\b(?:what if|suppose|supposing|hypothetical\w*|in case|if i ever|if (?:someone|somebody"
    r"|a person|you) (?:ever )?(?:has|have|had|gets?|is|were)|que pasa si|en caso de"
    r"|si alguna vez)\b"
)
_THIRD_PARTY = re.compile(
    r"\b(?:for (?:my|a|our|the) (?:\w+ )?(?:class|course|school|project|paper|essay|exam|test"
    r"|training|presentation|homework|assignment|students?|patients|residents|clients|job|work)"
    r"|i am (?:a|an) (?:\w+ )?(?:nurse|teacher|student|caregiver|aide|paramedic|emt|lifeguard"
    r"|coach|counselor|social worker)|first aid (?:class|course|training)|cpr (?:class|course"
    r"|training)|at work we|our (?:school|clinic|office|workplace) (?:policy|protocol|plan))\b"
)
_DENIAL = re.compile(
    r"\b(?:i am not having|i dont have|i do not have|no (?:symptoms|pain)|not having any|nothing"
    r" is wrong|no tengo|no estoy)\b"
)
# The writer says that nobody concerned has anything now: a state of health, not the denial of one
# symptom ("she's fine, I just want to be proactive", "it's gone now and I feel fine", "ya estoy
# bien"). Without it, the first-person words around such a sentence ("my mom", "I had") made the
# message a report. Not when negated ("he is not well", "I don't feel fine"), qualified ("I'm
# fine at rest but..."), or when something says it is back (`_RECURRING`).
_ALL_CLEAR = re.compile(
    r"\b(?:(?:i|im|i am|she|shes|she is|he|hes|he is|they|theyre|they are|we|were|we are"
    r"|everyone|everybody|both|both of (?:us|them)|the kids|my kids) (?:is |are )?(?:totally "
    r"|perfectly |completely |really |all |now )?(?:fine|ok|okay|healthy|well|great"
    r"|doing (?:fine|great|well|good|ok|okay)|feeling (?:fine|great|good|ok|okay))"
    r"|feel (?:totally |perfectly |completely )?(?:fine|great|good|ok|okay)"
    r"|(?:all |the )?symptoms (?:are )?gone|(?:its|it is|they are|theyre) gone now|went away"
    r"|nothing (?:is |s )?(?:going on|happening|wrong)|no problem (?:right )?now"
    r"|(?:nobody|no one) (?:is|has been|here is) (?:sick|ill|hurt|coughing)|all good now"
    r"|(?:ya )?estoy bien|esta bien|todo (?:va|esta) (?:bien|perfecto)|no tengo nada)\b"
    r"(?! but| until| except| apart| other than| when| at rest| most| pero| hasta| excepto)"
)
_NEGATED_BEFORE = re.compile(r"\b(?:no|not|dont|doesnt|didnt|never|isnt|arent|wasnt|nunca)\s*$")
_RECURRING = re.compile(
    r"\b(?:again|still|keeps?|coming back|came back|returned|otra vez|todavia)\b"
)
# A question about keeping a condition away, which by its nature nobody has yet ("what can I do
# to avoid catching COVID", "how can I lower my chances of", "do I need the pneumonia vaccine").
_PREVENTION = re.compile(
    r"\b(?:(?:how (?:can|do|should|could|would) (?:i|we|you|one|they|he|she)|what can (?:i|we)"
    r" do|ways? to|best way to|is there (?:a way|anything)|tips (?:to|for)|como (?:puedo|podemos"
    r"|se puede)) (?:\w+ ){0,3}?(?:prevent|avoid|lower|reduce|protect|keep from|stop getting"
    r"|prevenir|evitar)"
    r"|(?:do|should|can|when should|how often should) (?:i|we|he|she|they|my \w+) (?:get|need"
    r"|have) (?:the |a |an |my |another )?(?:\w+ ){0,2}?(?:vaccines?|shots?|screenings?"
    r"|boosters?))\b"
)


def _all_clear(norm: str) -> bool:
    if _RECURRING.search(norm):
        return False
    return any(not _NEGATED_BEFORE.search(norm, 0, m.start()) for m in _ALL_CLEAR.finditer(norm))


def situation(text: Text) -> str:
    """The frame of the whole message (see the module docstring); `report` wins over the rest."""
    norm = text.norm
    lived = has_lived_experience(text, hypothetical_counts=False)
    past = bool(HISTORY.search(norm)) and not STILL_PRESENT.search(norm)
    all_clear = _all_clear(norm)
    present = bool(STILL_PRESENT.search(norm))
    # Framed as prevention, or as what the writer read, teaches or writes about ("I'm teaching a
    # health class", "writing a novel where..."), the first-person words are not a report,
    # unless something places a problem in the present ("now", "since", "again").
    prevention_only = bool(_PREVENTION.search(norm)) and not present
    topic_only = bool(TOPIC_FRAMES.search(norm)) and not present
    if (
        lived
        and not past
        and not all_clear
        and not prevention_only
        and not topic_only
        and not _DENIAL.search(norm)
    ):
        return REPORT
    if topic_only or _THIRD_PARTY.search(norm):
        return THIRD_PARTY
    if _HYPOTHETICAL.search(norm):
        return HYPOTHETICAL
    if past:
        return PAST
    if all_clear or _DENIAL.search(norm):
        return NEGATED
    if EDUCATION_FRAMES.search(norm) or "?" in text.original:
        return QUESTION
    return STATEMENT
