"""Infection: meningitis and sepsis warning signs (911)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule

MENINGITIS_SEPSIS = Rule(
    id="emergency.meningitis_sepsis",
    level=EMERGENCY,
    category="infection",
    title="Fever with stiff neck, a rash that does not fade, or confusion",
    rationale=(
        "Fever with a stiff neck, light sensitivity or a purple rash that does not fade can "
        "be meningitis; fever with new confusion or extreme drowsiness can be sepsis. Both kill "
        "within hours without antibiotics."
    ),
    patterns=(
        r"\b(?:stiff neck|neck (?:\w+ )?(?:stiff|rigid)|cant (?:bend|touch) (?:\w+ )?(?:chin|neck)"
        r"|light hurts (?:my |his |her )?eyes|rash (?:\w+ ){0,3}?(?:doesnt|wont|dont) fade|purple "
        r"(?:spots|rash)|hard to wake|very sleepy|cuello rigido)\b",
        r"\bconfus(?:ed|ion)\b(?! about| by| why| on| as to| whether| if| with)",
        # Sepsis shows as a mind or a circulation failing with the fever (CDC: confusion, low
        # blood pressure, clammy or mottled skin, little or no urine).
        r"\b(?:out of it|not acting (?:like )?(?:him|her)self|not (?:him|her)self|cant stay awake|"
        r"mottled|blotchy (?:\w+ )?skin|(?:low|dropping) blood pressure|"
        r"blood pressure (?:is |was )?(?:low|dropping|really low)|(?:hasnt|havent|not) peed|"
        r"no (?:pee|urine)|(?:barely|not) (?:peeing|urinating)|clammy|presion (?:muy )?baja|"
        r"no (?:ha )?orinad[oa])\b",
    ),
    requires=(r"\b(?:fever|feverish|temperature|temp|fiebre|febrile)\b",),
    examples=(
        "fever 103, stiff neck and the light hurts my eyes",
        "my mom has a fever and is really confused",
        "the nursing home says she has a fever and low blood pressure, she seemed out of it",
    ),
    counter_examples=(
        "I'm confused about my fever medicine dose",
        "stiff neck from sleeping wrong",
        "what are the signs of sepsis? my aunt had it last year",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

SPREADING_SKIN_INFECTION = Rule(
    id="emergency.spreading_skin_infection",
    level=EMERGENCY,
    category="infection",
    title="A skin infection spreading by the hour, or with pain far worse than it looks",
    rationale=(
        "Redness or swelling that spreads within hours, with pain out of proportion to how it "
        "looks, purple, grey or black skin, blisters or crackling under the skin, can be a "
        "flesh-eating (necrotising) infection that needs surgery now. A red, warm wound that "
        "grows slowly is for the care team."
    ),
    patterns=(
        r"\bpain (?:\w+ ){0,3}?(?:worse|more) than (?:it|the \w+) looks\b",
        r"\b(?:skin|patch|redness|wound|area|leg|arm) (?:\w+ ){0,4}?(?:turning|turned|going|gone) "
        r"(?:\w+ )?(?:purpl\w*|gr[ae]y|black|dusky|dark purple)\b",
        r"\bcrackl\w* (?:\w+ ){0,2}?(?:under|in) (?:the |my |his |her )?skin\b",
    ),
    requires=(
        r"\b(?:spread\w*|doubl\w*|grow\w*|bigger|larger|moving up|creeping|by the hour|"
        r"in (?:a few |just |the last )?(?:hours?|hrs)|blister\w*|fever|chills|red\w*|swell\w*|"
        r"swollen)\b",
    ),
    examples=(
        "the red patch on my thigh has doubled in a few hours, the pain is way worse than it "
        "looks and the skin is turning purplish-gray with blisters",
        "cut on his leg is swollen and the skin around it is going black, he has chills",
    ),
    counter_examples=(
        "the scrape on my knee is a bit red and warm, no fever",
        "what is necrotizing fasciitis? I saw a news story",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)
