"""Messages that only thank, greet, acknowledge or say goodbye, and the short replies to them;
and a plain "yes" to the assistant's offer to send a question to a nurse.

Patients write "thank you", "ok" or "hi" in a chat as they would to a person. Searched as a
question, such a message finds nothing, and the patient got "I don't have approved information
that answers this well" - worst of all while a nurse was handling their conversation, where the
patient had only said they would wait. These get a short courtesy reply instead.

Conservative on purpose: a message is a courtesy only when *every* word of it is a courtesy
phrase or a filler word ("thanks so much, I will wait for the nurse"). Anything more - a
question mark, a symptom, a drug, "but" - and it goes through the normal answer path. This runs
after the escalation gate, so "thanks, my chest hurts" has already been handled as an emergency
before anything here reads it.

Pure: no ORM, no Django.
"""

from __future__ import annotations

import re
from enum import StrEnum

from knowledge.text import search_tokens


class Courtesy(StrEnum):
    THANKS = "thanks"
    GOODBYE = "goodbye"
    GREETING = "greeting"
    ACKNOWLEDGEMENT = "acknowledgement"


# Checked in this order: "thanks, bye" is thanks (the reply to thanks also closes kindly).
_PHRASES: tuple[tuple[Courtesy, re.Pattern[str]], ...] = (
    (
        Courtesy.THANKS,
        re.compile(
            r"\b(?:thank(?:s|\s*you|\s*u|\s*ya)?|thx|thnx|thanx|ty|many thanks|much appreciated|"
            r"(?:i\s+)?(?:really\s+)?appreciate (?:it|that|this|your help|the help|you))\b"
        ),
    ),
    (
        Courtesy.GOODBYE,
        re.compile(
            r"\b(?:good\s*bye|bye(?:\s*bye)?|see you(?: later| soon)?|take care|"
            r"have a (?:good|nice|great) (?:day|night|evening|weekend)|good\s*night)\b"
        ),
    ),
    (
        Courtesy.GREETING,
        re.compile(
            r"\b(?:hi|hello|hey|hiya|greetings|good (?:morning|afternoon|evening)|"
            r"how are you(?: doing)?|anyone there|is anyone there)\b"
        ),
    ),
    (
        Courtesy.ACKNOWLEDGEMENT,
        re.compile(
            r"\b(?:ok(?:ay)?|k|alright|all right|got it|i see|understood|sounds good|"
            r"makes sense|that helps|that helped|that (?:is|was) helpful|"
            r"(?:very |really )?helpful|great|perfect|cool|noted|will do|no problem)\b"
        ),
    ),
)
# Words that may come with a courtesy without asking anything ("thank you so much, I will wait
# for the nurse to call me back"). No medical word and no question word is here.
_FILLER_RE = re.compile(
    r"(?<![\w'])"
    r"(?:a|advice|again|all|also|and|answer|answers|any|anyway|back|be|bit|call|calling|care|"
    r"dear|doctor|everyone|explanation|fast|for|from|get|getting|good|have|hear|help|her|him|i|"
    r"i'll|i'm|im|info|information|it|it's|its|just|kind|kindly|know|let|lot|me|message|more|"
    r"much|my|nice|nurse|now|oh|quick|reply|response|so|soon|support|team|that|the|them|then|"
    r"there|this|time|to|too|u|until|update|ur|very|wait|waiting|well|will|with|wonderful|you|"
    r"your)(?![\w'])"
)
# "Hi, how are you?" and "Anyone there?" end in a question mark and ask nothing medical.
_GREETING_QUESTION_RE = re.compile(
    r"[\s\w,!.']*(?:how are you(?: doing)?|anyone there)\s*\?+[\s!.]*"
)
_MAX_WORDS = 25


def courtesy_of(text: str) -> Courtesy | None:
    """The kind of courtesy a message is, or None when it asks or says anything more."""
    lowered = " ".join(text.lower().replace("\u2019", "'").split())
    if not lowered or ("?" in lowered and not _GREETING_QUESTION_RE.fullmatch(lowered)):
        return None
    if len(search_tokens(lowered)) > _MAX_WORDS:
        return None
    found: list[Courtesy] = []
    rest = lowered
    for kind, pattern in _PHRASES:
        rest, count = pattern.subn(" ", rest)
        if count:
            found.append(kind)
    if not found:
        return None
    if search_tokens(_FILLER_RE.sub(" ", rest)):
        return None
    return found[0]


# A yes to "I can send your question to a nurse": one of these must be there...
_YES_RE = re.compile(
    r"\b(?:yes|yeah|yea|yep|yup|sure|please|absolutely|definitely|go ahead|do it|do that)\b"
)
# ...and every other word must be one of these (or a thanks): "yes please, send it to the
# nurse", "sure, I'd like that". "Yes, but can I take ibuprofen?" is not a yes to the offer.
_YES_FILLER_RE = re.compile(
    r"(?<![\w'])"
    r"(?:a|along|ask|be|can|care|could|do|fine|for|forward|good|great|i|i'd|id|it|it's|just|"
    r"know|let|like|me|my|now|nurse|of|ok|okay|on|pass|person|question|real|send|someone|"
    r"sounds|speak|talk|team|that|that's|the|them|then|this|to|want|with|would|you|your)"
    r"(?![\w'])"
)
_MAX_YES_WORDS = 15


def accepts_offer(text: str) -> bool:
    """Whether a message is only a yes, as a reply to the assistant's offer of a nurse (the
    caller knows whether there was one). Anything more goes through the normal answer path."""
    lowered = " ".join(text.lower().replace("\u2019", "'").split())
    if len(search_tokens(lowered)) > _MAX_YES_WORDS:
        return False
    rest, yeses = _YES_RE.subn(" ", lowered)
    if not yeses:
        return False
    thanks = dict(_PHRASES)[Courtesy.THANKS]
    return not search_tokens(_YES_FILLER_RE.sub(" ", thanks.sub(" ", rest)))


def courtesy_reply(kind: Courtesy, *, care_team_active: bool, disclosure: str = "") -> str:
    """The reply to a courtesy. When a nurse is handling the conversation, the patient is told
    that the nurse sees the conversation, so a "thanks, I'll wait" is not met with an offer of
    what is already under way. `disclosure` (who is answering) goes after the opening words:
    "Hello. I'm the portal's automated assistant. ..." reads as a person would say it."""
    waiting = (
        "The nurse handling your conversation sees your messages here and will reply. "
        "If you feel worse or think it is an emergency, call 911."
    )
    openings = {
        Courtesy.THANKS: ("You're welcome.", "If you have another question, just ask."),
        Courtesy.GOODBYE: ("Take care.", "You can come back to this conversation at any time."),
        Courtesy.GREETING: (
            "Hello.",
            "I can explain your conditions, medicines, next steps and preventive care from "
            "approved patient-education content, or send your question to a nurse. "
            "What would you like to know?",
        ),
        Courtesy.ACKNOWLEDGEMENT: ("", "If you have another question, just ask."),
    }
    opening, body = openings[kind]
    return " ".join(
        part for part in (opening, disclosure, waiting if care_team_active else body) if part
    )
