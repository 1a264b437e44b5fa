"""Numbers no regex can compare: blood sugar, oxygen saturation, blood pressure, pill counts.

Each finder returns the spans (in `Text.norm`) of readings past a clinical threshold, so a rule can
quote the patient's own number to the nurse.
"""

from __future__ import annotations

import re

from assistant.escalation.normalise import Text
from assistant.escalation.spelling import words

from .base import Span
from .vocabulary import CRISIS_WORDS

# --- Numbers: glucose, oxygen, blood pressure, pill counts ---------------------------------------
_GLUCOSE_WORD = re.compile(
    r"\b(?:blood sugars?|sugars?|glucose|glucosa|azucar|bg|bs|cbg|fingerstick|dexcom|libre|cgm|"
    r"meter|glucometer)\b"
)
_NOT_A_READING = frozenset(
    words(
        """mg mcg g grams gram units unit carbs carb days day weeks week years year months month
    minutes minute hours hour times percent pounds lbs kg am pm oclock dias semanas anos horas
    minutos meses veces"""
    )
)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def glucose_readings(text: Text) -> list[tuple[Span, float]]:
    """(span, mg/dL) of the numbers read within six words after a glucose word."""
    found: list[tuple[Span, float]] = []
    toks = text.tokens
    for m in _GLUCOSE_WORD.finditer(text.norm):
        idx = text.token_index(m.start())
        for j in range(idx + 1, min(idx + 8, len(toks))):
            word = toks[j].text
            if word in {".", ","}:
                break
            if not _NUMBER.match(word):
                continue
            nxt = toks[j + 1].text if j + 1 < len(toks) else ""
            if nxt.split(" ")[0] in _NOT_A_READING:
                continue
            value = float(word)
            mmol = nxt == "mmol" or value < 20 or ("." in word and value < 35)
            mg = value * 18 if mmol else value
            found.append(((m.start(), text.starts[j] + len(word)), mg))
            break
    return found


# The signs of diabetic ketoacidosis (ADA): they make a high reading an emergency from 250 on,
# whatever the number, because the acid, not the sugar, is the danger.
_DKA_SIGNS = (
    CRISIS_WORDS
    + r"|ketones? (?:\w+ )?(?:moderate|large|high|dark|positive)|(?:moderate|large|high) "
    r"ketones?|fruity|breath\w* (?:\w+ ){0,2}?(?:heavy|heavily|deep|fast|hard|weird)|(?:heavy|deep|"
    r"fast|rapid) breath\w*|panting|(?:cant|unable to|not able to) (?:stop|keep) (?:\w+ ){0,2}?"
    r"(?:vomit\w*|throwing up|down)|keeps? (?:vomit\w*|throwing up)|wont stop (?:vomit\w*|throwing "
    r"up)|respira\w* (?:rapido|fuerte|profundo)|no (?:para|deja) de vomitar"
)


def _glucose_critical(text: Text) -> list[Span]:
    readings = glucose_readings(text)
    crisis = re.search(
        CRISIS_WORDS + r"|vomit\w*|throwing up|threw up|ketones|fruity|breathing fast|"
        r"very thirsty|vomitando",
        text.norm,
    )
    dka = re.search(_DKA_SIGNS, text.norm)
    spans: list[Span] = []
    for span, mg in readings:
        # 20-33 reads as dangerously low in mg/dL and dangerously high in mmol/L: both are.
        if mg < 54 or mg >= 600 or (mg >= 400 and crisis) or (mg >= 250 and dka):
            spans.append(span)
    return spans


# A temperature: a decimal between 100.4 and 107.9 F or 38.0 and 42.9 C, or such a whole number
# with its unit ("101 F", "38 grados"). Written alone ("measured 100.9 rectally") it is a fever.
_TEMPERATURE = re.compile(
    r"\b(?:(?:10[0-7]|3[89]|4[0-2])\.\d|(?:10[0-7]|3[89]|4[0-2]) ?(?:f|c|degrees?|grados?|deg))\b"
)


def fever_readings(text: Text) -> list[Span]:
    """Spans of temperatures of 100.4 F / 38.0 C or more (the fever line for a baby)."""
    spans: list[Span] = []
    for m in _TEMPERATURE.finditer(text.norm):
        value = float(re.match(r"\d+(?:\.\d)?", m.group()).group())
        if value >= 100.4 or 38.0 <= value < 43:
            spans.append((m.start(), m.end()))
    return spans


_SPO2 = re.compile(
    r"\b(?:oxygen|o2|sats?|saturation|spo2|pulse ?ox\w*|oximeter|oxigeno|saturacion)\b"
    r"(?: \w+){0,4}? (\d{2,3})\b"
)


def oxygen_readings(text: Text) -> list[tuple[Span, int]]:
    return [((m.start(), m.end()), int(m.group(1))) for m in _SPO2.finditer(text.norm)]


def _oxygen_low(text: Text) -> list[Span]:
    return [span for span, value in oxygen_readings(text) if 40 <= value < 90]


_BP = re.compile(r"\b(\d{2,3})(?:/| over | sobre | de )(\d{2,3})\b")


def blood_pressure_readings(text: Text) -> list[tuple[Span, int, int]]:
    out: list[tuple[Span, int, int]] = []
    for m in _BP.finditer(text.norm):
        sys_, dia = int(m.group(1)), int(m.group(2))
        if 60 <= sys_ <= 300 and 30 <= dia <= 200 and sys_ > dia:
            out.append(((m.start(), m.end()), sys_, dia))
    return out


def _bp_crisis(text: Text) -> list[Span]:
    return [span for span, s, d in blood_pressure_readings(text) if s >= 180 or d >= 120]


def _bp_shock(text: Text) -> list[Span]:
    """Readings with a top number under 90: low enough to be shock when signs come with it."""
    return [span for span, s, _ in blood_pressure_readings(text) if s < 90]


_PILL_COUNT = re.compile(
    r"\b(?:took|taken|swallowed|popped|ate|downed|had) (?:like |about |around |maybe |over "
    r"|almost |nearly |at least |probably |more than )?(\d+) (\w+)"
)


def _many_pills(text: Text) -> list[Span]:
    spans: list[Span] = []
    for m in _PILL_COUNT.finditer(text.norm):
        if int(m.group(1)) >= 8 and m.group(2) not in _NOT_A_READING:
            spans.append((m.start(), m.end()))
    return spans


def _low_sugar(text: Text) -> list[Span]:
    return [span for span, mg in glucose_readings(text) if 54 <= mg < 70]


def _high_sugar(text: Text) -> list[Span]:
    return [span for span, mg in glucose_readings(text) if 250 <= mg < 600]


def _readings(text: Text) -> list[Span]:
    spans = [span for span, _, _ in blood_pressure_readings(text)]
    spans += [span for span, value in oxygen_readings(text) if 90 <= value <= 94]
    return spans


# What children swallow that is no medicine: a count of these is not a dose the rules compared
# with anything ("swallowed 3 of those magnetic balls" is an emergency at any count).
_NOT_A_MEDICINE = re.compile(
    r"\b(?:batter(?:y|ies)|magnet\w*|beads?|coins?|buttons?|marbles?|pods?|balls?|toys?|pieces?|"
    r"earrings?|screws?|nails?|pins?|tacks?)\b"
)


def numbers_read(text: Text) -> bool:
    """True when the rules read a number in the message: a pill count, a glucose, oxygen or
    blood-pressure reading. Such a number was compared with its crisis threshold by a rule, so
    the classifier, which cannot compare numbers, may not overrule that judgement."""
    pill_counts = any(
        m.group(2) not in _NOT_A_READING
        and not _NOT_A_MEDICINE.search(" ".join(text.norm[m.end(1) :].split()[:5]))
        for m in _PILL_COUNT.finditer(text.norm)
    )
    return bool(
        pill_counts
        or glucose_readings(text)
        or oxygen_readings(text)
        or blood_pressure_readings(text)
    )
