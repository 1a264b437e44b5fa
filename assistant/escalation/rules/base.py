"""The rule type of the escalation gate and the two context checks every rule shares.

A rule fires on a message when one of its `patterns` matches the normalised text and that match
survives two checks:

* **negation** (`is_negated`): the match is preceded, inside its clause, by a negation cue
  ("no", "not", "don't", "without", "sin", "nunca"...) with nothing between them but a few filler
  words ("I don't have any | chest pain"). Anything else in between ends the scope, which keeps
  the check conservative: "not sure if it's chest pain" is not a denial ("sure", "if" are not
  fillers), and "do not classify this as an emergency: chest pain" is not either ("classify",
  and the colon, end it). "Never had this before" is not a denial of something present now.
* **education framing** (`is_education_question`): for rules marked `education_lowerable`, a
  match is dropped when its sentence is framed as a general question ("what are the signs of",
  "how is ... treated", "in general") AND the message says nothing about someone living it now
  ("I have", "I'm having", "my husband is", "right now", "since this morning"). One marker of
  lived experience anywhere in the message keeps every match, so a framing phrase can never
  be used to switch the gate off for a real symptom.

Rules with `requires` also need one of those patterns to match (un-negated) somewhere in the
message: "bleeding" is an emergency rule of its own only when it is heavy, but any bleeding
together with "pregnant" is the pregnancy rule. `finder` lets a rule add matches computed from
numbers (blood sugar 38, oxygen 84%, BP 210/125) that no regex can compare.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from assistant.escalation.normalise import FAMILY, Text
from assistant.escalation.spelling import words

Level = Literal["emergency", "urgent", "routine"]
EMERGENCY: Level = "emergency"
URGENT: Level = "urgent"
ROUTINE: Level = "routine"
SEVERITY: dict[str, int] = {ROUTINE: 0, URGENT: 1, EMERGENCY: 2}

Span = tuple[int, int]  # character offsets in Text.norm

# --- Negation -------------------------------------------------------------------------------------
NEGATION_CUES = frozenset(
    words(
        """no not dont doesnt didnt never without isnt arent wasnt werent havent hasnt hadnt nor
    neither none denies deny denied aint nunca sin ni tampoco jamas pas sans nao sem"""
    )
)
# Words allowed between a cue and the concept it denies ("no | real | chest pain").
NEGATION_FILLERS = frozenset(
    words(
        """have has had having any a an the really currently get getting got feel feeling felt
    experience experiencing experienced much real been i am is it this there or and my his her
    their your of like seem seems notice noticed see anymore more serious bad severe actual
    signs sign symptoms symptom kind sort tengo tiene tenia hay he siento sentido ningun ninguna
    algun alguna el la los las un una de mucho me le se duele nada j ai new other unusual more
    further"""
    )
    # Body parts: "no chest pain" denies the pain, "no leg swelling" the swelling.
    + words(
        """chest head stomach belly tummy abdominal back leg legs arm arms neck throat pelvic joint
    joints knee knees shoulder side foot feet hand hands face eye eyes ear ears tooth teeth
    pecho cabeza estomago espalda pierna piernas brazo brazos garganta"""
    )
)
# Words that close the scope of a negation even without punctuation.
SCOPE_BREAKERS = frozenset(words("but pero though although however except mais mas just only"))
_NEGATION_WINDOW = 5
_NEW_NOT_ABSENT = re.compile(r"^(?:\w+ ){0,4}?(?:before|until|till|til|antes)\b")


def is_negated(text: Text, start: int, end: int) -> bool:
    """True when norm[start:end] is denied by a cue just before it in the same clause."""
    idx = text.token_index(start)
    before = [t.text for t in text.tokens[max(0, idx - _NEGATION_WINDOW - 1) : idx]]
    for word in reversed(before):
        if word in {".", ","} or word in SCOPE_BREAKERS:
            return False
        if word in NEGATION_CUES:
            # "never had chest pain like this before" announces something new, not an absence.
            return not (word == "never" and _NEW_NOT_ABSENT.match(text.norm[end:].lstrip()))
        if word not in NEGATION_FILLERS:
            return False
    return False


# --- Education framing and lived experience ----------------------------------------------------
# What the writer saw, read or heard, learns, teaches or writes about: a sentence about a topic,
# not a report ("saw a news story about teen suicide rates", "we covered overdose response in my
# first aid course", "I'm writing a mystery"). Part of EDUCATION_FRAMES; the context layer also
# reads it on its own (a message so framed is no report, whatever first-person words it holds).
TOPIC_FRAMES = re.compile(
    "|".join(
        (
            r"\b(?:saw|seen|watched|read|heard|reading|watching) (?:\w+ ){0,3}?(?:news|story"
            r"|stories|article|post|video|documentary|show|movie|film|podcast|episode|tiktok"
            r"|headline)s?\b",
            r"\b(?:heard about|on the news|in the news)\b",
            r"\b(?:first aid|cpr|safety|health|nursing|lifeguard|babysitting|emt|paramedic)"
            r" (?:class|course|training|certification|exam|test)\b",
            r"\b(?:studying|study|preparing|prepping) for (?:\w+ ){0,4}?(?:exam|test|boards|quiz"
            r"|class|course)\b",
            r"\b(?:teach|teaching|explain|talk|speak|present) (?:\w+ ){0,3}?(?:to|for|with)"
            r" (?:my |our |the |a )?(?:students|class|youth group|team|kids about|scouts)\b",
            r"\b(?:i volunteer|volunteering|we (?:covered|learned|discussed|practiced))\b",
            r"\b(?:writing|write|wrote) (?:a|an|my) (?:\w+ ){0,2}?(?:novel|story|mystery|book"
            r"|screenplay|script|thriller|scene|fanfic)\b",
            r"\b(?:my|the) (?:main )?character\b|\bits fiction\b",
            r"\b(?:vi|lei|escuche) (?:\w+ ){0,3}?(?:noticia|articulo|video|publicacion"
            r"|reportaje)s?\b",
            # any form of the verb: "les explico a mis estudiantes", "como le enseno a mis alumnos"
            r"\b(?:habl|ensen|explic)\w* (?:\w+ ){0,3}?(?:alumnos|estudiantes|clase)\b",
            r"\b(?:preparando|dando|dar|doy) (?:una |la |mi )?(?:clase|charla|platica"
            r"|presentacion|taller)\b",
        )
    )
)
EDUCATION_FRAMES = re.compile(
    "|".join(
        (
            r"\bwhat (?:are|is|were) (?:the |some |common |early |warning |usual |typical |main "
            r"|first |most |possible )*(?:signs?|symptoms?|warning signs|red flags|causes?|risks?"
            r"|risk factors|treatments?|differences?|effects|complications|stages|types)\b",
            r"\bwhat (?:does|do|did|would|should|could|can) (?:\w+ ){1,8}?(?:feel|look|sound|seem)"
            r" like\b",
            r"\bwhat (?:is|are) (?:a |an |the )?\w+",
            r"\bwhat (?:causes?|happens|triggers)\b",
            r"\bwhat (?:does|do|can|will|would) (?:\w+ ){1,6}?do (?:to|for)\b",
            r"\bwhat (?:should|do|would|can) (?:i|we|you|one) do if (?:i|we|you) (?:find|see"
            r"|witness|come across|notice|am with|are with)\b",
            r"\bwhat (?:to|should (?:you|one|someone|people|a person|i|we)) do (?:if|when|for|in)"
            r" (?:someone|somebody|a person|people|you|your|an?|the)\b",
            r"\bhow (?:do|does|can|would|could|should|might) (?:i|you|we|one|people|someone"
            r"|a person|doctors|they|parents|a parent|family) (?:\w+ ){0,2}?(?:recogni[sz]e|tell"
            r"|know|spot|identify|detect|prevent|avoid|treat|diagnose|get|help|check|learn|notice"
            r"|distinguish|differentiate|respond|use|react|handle|manage|cope with|deal with"
            r"|reduce|lower|improve|support|care for|look after)\b",
            r"\bhow (?:is|are|do you|does one|do doctors) (?:\w+ ){0,4}?(?:treated|diagnosed|caused"
            r"|prevented|recogni[sz]ed|managed|measured|defined|treat|diagnose)\b",
            r"\bhow (?:much|many) (?:\w+ ){0,4}?(?:is|are|causes?|counts?|would|too|can)\b",
            r"\b(?:can|does|do|could) (?:\w+ ){1,3}?cause\b",
            r"\bis (?:\w+ ){1,4}?(?:always|usually|normally|typically|generally|ever)\b",
            r"\b(?:in general|generally|general question|just curious|i am curious|curious about"
            r"|just wondering|i was wondering|hypothetical\w*|for (?:a|my) (?:school|class|project"
            r"|paper|essay|course)|for school)\b",
            r"\b(?:explain|tell me about|information (?:on|about)|info (?:on|about)|learn about"
            r"|what should (?:i|we|parents|you|people) know about|difference between|meaning of"
            r"|definition of|define)\b",
            r"\b(?:prevention|awareness|statistics)\b",
            r"\bwhen (?:should|do|would|to) (?:you|someone|one|a person|people|i|we)? ?"
            r"(?:\w+ ){0,2}?(?:call|go|see|seek|get)\b",
            TOPIC_FRAMES.pattern,
            # Spanish, French
            r"\b(?:cuales|cual|que) (?:son|es) (?:los |las |el |la )?(?:sintomas|signos|senales"
            r"|causas|sintoma|signo|tratamientos?)\b",
            r"\bque (?:es|son|causa|causan)\b",
            r"\bcomo (?:se|puedo|puede|podemos) (?:\w+ ){0,1}?(?:trata|reconoce|sabe|saber"
            r"|reconocer|identificar|prevenir|detecta|previene|diagnostica)\b",
            r"\b(?:en general|pregunta general|solo curiosidad|por curiosidad)\b",
            r"\bque (?:hago|hacer|hacemos) (?:si|cuando) (?:alguien|una persona)\b",
            r"\bqu est ce que\b|\bquels sont les (?:symptomes|signes)\b",
        )
    )
)

# Phrases that start like lived experience but are not ("I have a question"). Three kinds:
# asking ("I was wondering"), a role or an activity that explains why one asks ("I'm a teacher",
# "I'm taking a first aid course"), and a statement that nobody has anything now ("I feel fine
# right now", "she's 3 now and healthy", "nobody is sick"). None says that someone is living a
# symptom, so none may keep a warning sign inside a general question escalated.
_ROLE = (
    r"(?:nurse|nursing|teacher|student|caregiver|aide|paramedic|emt|lifeguard|coach|counselor"
    r"|social worker|parent|mom|dad|mother|father|grandparent|tech|technician|assistant|volunteer"
    r"|writer|blogger|housekeeper|babysitter|nanny|pharmacist|doctor|medic|trainer|manager"
    r"|supervisor|instructor|leader|scout|profesora?|maestra?|enfermer[ao]|estudiante)"
)
_WELL = (
    r"(?:fine|ok|okay|well|healthy|great|good|normal|alright|all right|symptom free|bien|sano|sana"
    r"|doing (?:really |very |pretty |so )?(?:well|great|fine|good|ok|okay|better)|in recovery"
    r"|clean|sober)"
)
# Only these may stand between "she is" and "fine": never "not" ("he is not breathing well").
_DEGREE = r"(?:totally|completely|perfectly|really|very|pretty|feeling|acting|otherwise|all|muy)"
_NOT_EXPERIENCE = re.compile(
    r"\bi (?:have|got) (?:a |another |one |some |few |quick |general |simple )*(?:questions?"
    r"|query|doubt)\b"
    r"|\bi (?:was|am) (?:just )?(?:wondering|curious|asking|interested)\b"
    r"|\bi (?:would|d) like to (?:know|learn|understand)\b"
    r"|\bi (?:just )?want(?:ed)? to (?:know|learn|understand|ask|be (?:prepared|ready)|plan)\b"
    r"|\bi (?:read|heard|saw|watched)\b|\bi need (?:to know|information|info)\b"
    # a role, or an activity that is the reason for asking
    rf"|\b(?:i am|im|soy) (?:a |an |un |una )?(?:\w+ ){{0,2}}?{_ROLE}\b"
    r"|\bi am (?:just )?(?:taking|in|doing|writing|studying|preparing|making|putting together"
    r"|planning) (?:\w+ ){0,3}?(?:course|class|training|program|blog|post|list|paper|project"
    r"|plan|bulletin|presentation|exam|test)\b"
    # what the writer reads, teaches or writes about, with its subject ("i am writing a novel")
    r"|\b(?:(?:i am|im|we are|estoy|estamos) )?(?:just )?(?:" + TOPIC_FRAMES.pattern + ")"
    # nobody has anything now
    rf"|\b(?:i|he|she|they|we|it|everyone|everybody|todos|(?:my|mi) (?:\w+ ){{0,2}}?(?:{FAMILY}"
    rf"|family|children|parents))"
    rf" (?:am|is|are|feel|feels|felt|seem|seems|look|looks|has been|have been|is been|had been"
    rf"|was|were|esta|estoy|estan"
    rf"|se siente|me siento) (?:{_DEGREE} ){{0,2}}{_WELL}(?: (?:for )?(?:\d+|a|one|two|three"
    rf"|several|many|few) (?:years?|months?|weeks?))?(?: (?:now|right now|today|since|ahora"
    rf"|since then))?\b"
    r"|\b(?:i|he|she|we) (?:am|is|are) \d+(?: years old(?: now)?| now)\b"
    r"|\b(?:nobody|no one|noone|nadie) (?:is|has|was|has been|esta) (?:\w+ )?(?:sick|ill"
    r"|hurt|enfermo|fallen|done|it)?\b"
    r"|\b(?:nothing|nada) (?:is )?(?:wrong|going on|happening|pasa)\b"
    r"|\bnot having (?:one|it|any|them|this) (?:now|right now|today)\b"
    r"|\b(?:just asking|asking for (?:the )?future|for (?:the )?future|for future reference"
    r"|just in case|to be prepared|to be ready|just to be safe|por si acaso)\b"
    r"|\b(?:was|were|been|got) (?:just )?(?:prescribed|diagnosed|given|told|recommended)\b"
    # plans and intentions are no symptom: "I'm due for a screening", "I'm planning a trip"
    r"|\bi am (?:due|planning|trying to|looking for|hoping|about to start|going to (?:start"
    r"|see|travel|visit)|scheduled|healthy)\b"
)
# Something that happened to or was done by a person: "my 2 year old bit one", "she collapsed".
_EVENT = (
    r"(?:ate|bit|chewed|licked|swallowed|drank|took|got|fell|found|hit|grabbed|opened|spilled"
    r"|inhaled|sprayed|breathed|collapsed|fainted|passed|stopped|turned|woke|cut|burned|choked"
    r"|vomited|threw|broke|overdosed|tried)"
)
EXPERIENCE_MARKERS = re.compile(
    "|".join(
        (
            r"\bi (?:have|am|had|feel|felt|got|get|cant|couldnt|took|take|just|keep|kept|started"
            r"|woke|think|still|was|been|swallowed|ate|drank|used|hit|fell|passed|fainted|need"
            r"|suddenly|also|really|cannot|bought|wrote|tried)\b",
            rf"\bmy (?:\w+ ){{0,3}}?(?:is|are|has|have|hurts?|feels?|keeps|wont|cant|went|started"
            rf"|looks?|was|were|been|just|suddenly|seems|says|{_EVENT})\b",
            rf"\b(?:he|she) (?:is|cant|wont|just|suddenly|keeps|was|started|looks|seems|feels|says"
            rf"|said|has been|had|{_EVENT})\b",
            r"\bwrong with (?:me|my|him|her)\b|\bhelp me\b|\bhappening to (?:me|him|her)\b",
            r"\b(?:right now|rn|now|currently|at the moment|as we speak|tonight|today|just now"
            r"|this (?:morning|afternoon|evening|week))\b",
            r"\bsince (?:\w+ ){0,2}?(?:morning|yesterday|last|monday|tuesday|wednesday|thursday"
            r"|friday|saturday|sunday|\d+|i|this|lunch|dinner|breakfast)\b",
            r"\bfor (?:the (?:last|past) )?(?:\d+|a|an|one|two|three|four|five|few|several|couple)"
            r" (?:\w+ )?(?:minutes?|hours?|days?|weeks?)\b",
            r"\b(?:\d+|a|an|few|couple) (?:minutes?|hours?) ago\b",
            # Spanish
            r"\b(?:tengo|estoy|me duele|le duele|siento|me siento|no puedo|no puede|ahora|ahorita"
            r"|desde hace|desde (?:ayer|esta|anoche)|me tome|se tomo|esta teniendo"
            r"|estoy teniendo)\b",
            r"\bmi (?:\w+ ){0,1}?(?:esta|tiene|no puede|se)\b",
        )
    )
)


_DENIED = re.compile(
    r"^ ?(?:\w+ )?(?:no|not|never|dont|doesnt|didnt|isnt|arent|wasnt|havent|"
    r"hasnt)\b"
)


# "How do I know if I have the flu?" is a question, not a report; for emergency rules it still
# counts ("how do I know if I'm having a heart attack" escalates: err toward escalating).
_HYPOTHETICAL = re.compile(r"\b(?:if|whether) (?:i|he|she|you|we) (?:have|has|am|is|are|had|get)\b")


def has_lived_experience(text: Text, *, hypothetical_counts: bool = True) -> bool:
    """True when the message says someone is living something now ("I have", "right now")."""
    norm = _NOT_EXPERIENCE.sub(" ", text.norm)
    if not hypothetical_counts:
        norm = _HYPOTHETICAL.sub(" ", norm)
    # "I am not having any chest pain" describes no experience.
    return any(not _DENIED.match(norm[m.end() :]) for m in EXPERIENCE_MARKERS.finditer(norm))


# Who a question is about: a question naming the writer, their family or a "he"/"she" may be a
# report in question form ("should I go in? my chest hurts"); one naming nobody is about a
# condition or a procedure ("can you overdose on vitamins?", "is sepsis the same as...").
_PERSONAL_SUBJECT = re.compile(
    r"\b(?:i|me|my|mine|myself|we|us|our|he|she|him|her|his|mi|mis|yo|tengo|estoy|siento"
    r"|nosotros|nuestr[oa]s?)\b"
)


def is_education_question(text: Text, start: int) -> bool:
    """True when the sentence holding `start` is framed as a general question.

    Either its words frame it so ("what are the signs of", "how is ... treated", "in general"),
    or it is asked as a question ("?", "¿") and names no person: the structure of a question
    about a condition, whatever its words.
    """
    s_start, s_end = text.sentence_of(start)
    if EDUCATION_FRAMES.search(text.norm, s_start, s_end) is not None:
        return True
    title = text.title
    if title is not None and title[0] <= start < title[1]:
        # A subject line names the topic of the message: it is framed as the message is. Only
        # a body asked as a general question makes it one ("Chest pain\n what should I do?" is
        # no such body).
        body = text.norm[title[1] :]
        return EDUCATION_FRAMES.search(body) is not None
    return (s_start, s_end) in text.questions and not _PERSONAL_SUBJECT.search(
        text.norm, s_start, s_end
    )


# --- Past history ---------------------------------------------------------------------------------
# "My friend had a seizure last year": a symptom placed firmly in the past, with nothing saying it
# is back, is history for the knowledge base, not a new symptom for a nurse.
HISTORY = re.compile(
    r"\b(?:last year|years ago|a year ago|months ago|in (?:19|20)\d\d|as a (?:child|kid|baby|teen"
    r"|teenager)|when i was (?:young|little|a kid|a child|a teenager)|long time ago|history of|in"
    r" the past|hace (?:anos|meses|un ano))\b"
)
STILL_PRESENT = re.compile(
    r"\b(?:again|still|now|today|currently|this week|keeps?|coming back|came back|back|since"
    r"|otra vez|todavia|ahora)\b"
)


# For an emergency sign, only a dated past counts: "a history of seizures" says nothing about
# whether one is happening now, "years ago" does.
DATED_PAST = re.compile(
    r"\b(?:last year|(?:\d+|a|one|two|three|four|five|six|ten|several|many|few|a few|couple of"
    r"|some) (?:years?|months?) ago|years ago|months ago|in (?:19|20)\d\d|as a (?:child|kid|baby"
    r"|teen|teenager)|when i was (?:young|little|a kid|a child|a teenager|\d+)|long time ago"
    r"|in (?:high|middle|grade) school|hace (?:\w+ )?(?:anos|meses|un ano))\b"
)
_ONGOING = re.compile(r"\b(?:is|are|am|esta|estoy) \w+(?:ing|ando|iendo)\b")


def is_past_history(text: Text, start: int, *, dated_only: bool = False) -> bool:
    """True when the sentence holding `start` is set in the past with nothing saying it is back.

    "I'm fine now" says the opposite of "it is back": statements that nobody has anything now
    are set aside before looking for a present marker.
    """
    s_start, s_end = text.sentence_of(start)
    past = DATED_PAST if dated_only else HISTORY
    if not past.search(text.norm, s_start, s_end):
        return False
    sentence = _NOT_EXPERIENCE.sub(" ", text.norm[s_start:s_end])
    return not (STILL_PRESENT.search(sentence) or _ONGOING.search(sentence))


# --- Rules ----------------------------------------------------------------------------------------
Finder = Callable[[Text], list[Span]]


# A gap word in a pattern, `(?:\w+ )`, may be any word but a negation cue: otherwise
# "i am (not) suicidal" or "my heart (doesnt) hurt" would match across the denial.
_GAP_WORD = r"(?:\w+ )"
_SAFE_GAP_WORD = (
    r"(?:(?!(?:no|not|never|dont|doesnt|didnt|isnt|arent|wasnt|werent|havent|hasnt|hadnt|"
    r"without|nunca|sin|nor|neither)\b)\w+ )"
)


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    joined = "|".join(f"(?:{p})" for p in patterns).replace(_GAP_WORD, _SAFE_GAP_WORD)
    return re.compile(joined)


@dataclass(frozen=True)
class RuleMatch:
    rule: Rule
    spans: tuple[Span, ...]  # in Text.norm
    lowered: bool  # framed as a general question with no lived experience


@dataclass(frozen=True)
class Rule:
    """One escalation rule: what it catches, why, and what to tell the patient."""

    id: str
    level: Level
    category: str
    title: str
    rationale: str
    patterns: tuple[str, ...]
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    instructions: str  # a key of rules.instructions.TEXTS
    requires: tuple[str, ...] = ()
    education_lowerable: bool = False
    negatable: bool = True
    finder: Finder | None = None
    advice: str = ""  # a key of instructions.ADVICE added after the instructions, if any
    past_history_exempt: bool = False  # drop matches in a sentence set in the past
    # Matches inside a span of this pattern do not count: a denial too long or too varied for
    # the negation cues ("zero thoughts of ending my life", "no tengo ideas de matarme").
    denied_by: re.Pattern[str] | None = None
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)
    _each: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)
    _requires: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", _compile(self.patterns))
        each = tuple(p for p in (_compile((pattern,)) for pattern in self.patterns) if p)
        object.__setattr__(self, "_each", each)
        object.__setattr__(self, "_requires", _compile(self.requires))

    def _live_spans(self, regex: re.Pattern[str] | None, text: Text) -> list[Span]:
        spans: list[Span] = []
        if regex is not None:
            for m in regex.finditer(text.norm):
                if m.end() == m.start():
                    continue
                if self.negatable and is_negated(text, m.start(), m.end()):
                    continue
                spans.append((m.start(), m.end()))
        return spans

    def evaluate(self, text: Text) -> RuleMatch | None:
        """The rule's match on a prepared message, or None when it does not fire."""
        # The extra condition is usually absent and cheaper to test than the patterns.
        if self._requires is not None and not self._live_spans(self._requires, text):
            return None
        spans = self._live_spans(self._regex, text)
        if self.finder is not None:
            spans += [s for s in self.finder(text) if not is_negated(text, *s)]
        if self.denied_by is not None:
            denials = [m.span() for m in self.denied_by.finditer(text.norm)]
            spans = [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in denials)]
        if self.past_history_exempt:
            spans = [s for s in spans if not is_past_history(text, s[0])]
        elif self.education_lowerable:
            # "I overdosed years ago and I'm fine now": a dated past sign is history.
            spans = [s for s in spans if not is_past_history(text, s[0], dated_only=True)]
        if not spans:
            return None
        spans.sort()
        lowered = (
            self.education_lowerable
            # A match in the writer's own words about themselves ("kill myself") is no question
            # about a condition, whatever frames it.
            and not any(_PERSONAL_SUBJECT.search(text.norm, s, e) for s, e in spans)
            and all(is_education_question(text, start) for start, _ in spans)
            and not has_lived_experience(text, hypothetical_counts=self.level == EMERGENCY)
        )
        return RuleMatch(self, tuple(spans), lowered)

    def quote(self, text: Text, spans: tuple[Span, ...]) -> tuple[str, ...]:
        """The patient's words behind `spans`, each widened to every pattern that overlaps it.

        The rule's combined regex stops at the leftmost alternative ("crushing chest"); the
        nurse should read the whole phrase ("crushing chest pain").
        """
        merged = list(spans)
        for regex in self._each:
            for m in regex.finditer(text.norm):
                if any(m.start() < e and s < m.end() for s, e in spans) and not (
                    self.negatable and is_negated(text, m.start(), m.end())
                ):
                    merged.append((m.start(), m.end()))
        merged.sort()
        out: list[Span] = []
        for s, e in merged:
            if out and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
        return tuple(dict.fromkeys(text.quote(s, e) for s, e in out))

    def match(self, message: str) -> tuple[str, ...]:
        """The patient's words that make this rule fire on `message` (empty when it does not)."""
        text = Text.of(message)
        found = self.evaluate(text)
        if found is None or found.lowered:
            return ()
        return self.quote(text, found.spans)
