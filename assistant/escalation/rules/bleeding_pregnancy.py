"""Bleeding and pregnancy: bleeding that will not stop, pregnancy warning signs (911)."""

from __future__ import annotations

from assistant.escalation.normalise import (
    PREGNANT,
)

from . import instructions as say
from .base import EMERGENCY, Rule

BLEEDING = Rule(
    id="emergency.bleeding",
    level=EMERGENCY,
    category="bleeding",
    title="Heavy or uncontrolled bleeding, vomiting or coughing blood, black stools",
    rationale=(
        "Bleeding that does not stop with pressure, soaks through dressings or spurts can "
        "cause shock within minutes; vomiting blood, coughing up blood and black tarry stools "
        "are internal bleeding. Patients on blood thinners bleed faster and longer. Minor "
        "bleeding (gums, a little blood in urine) is urgent instead."
    ),
    patterns=(
        r"\b(?:bleeding|bleed|bleeds|blood) (?:\w+ ){0,5}?(?:wont|doesnt|isnt|wouldnt|cant|not|"
        r"hasnt|never) (?:\w+ )?(?:stop|stopping|stopped|slow\w*|clot\w*)\b",
        r"\b(?:cant|couldnt|unable to) (?:get (?:\w+ ){0,2}?to )?stop (?:the |my |his |her )?"
        r"bleed\w*\b",
        r"\bbleed\w* (?:\w+ )?(?:a lot|heavily|heavy|profusely|badly|really bad|so much|"
        r"everywhere|like crazy|nonstop|non stop|through|all over|uncontrollably|out)\b",
        r"\b(?:heavy|heavily|severe|massive|uncontrolled|uncontrollable|profuse|lots of|a lot of|"
        r"so much|tons of|pool of|puddle of) (?:\w+ )?(?:bleeding|blood)\b(?! (?:pressure|sugars?|"
        r"tests?|work|glucose|thinners?|clots?|count))",
        r"\b(?:spurting|squirting|gushing|pouring|soaking|soaked) (?:\w+ ){0,3}?(?:blood|through)"
        r"\b|\bblood (?:\w+ ){0,2}?(?:spurting|squirting|gushing|pouring|everywhere)\b",
        r"\b(?:vomit\w*|throwing up|threw up|puking|puked|coughing up|coughed up|coughing|"
        r"spitting up|spit up) (?:\w+ ){0,2}?blood\b",
        r"\bblood (?:\w+ )?in (?:my |his |her |the )?(?:vomit|puke|throw up)\b",
        r"\b(?:black|tarry|maroon) (?:\w+ ){0,2}?(?:stool|stools|poop|poo|bowel movements?|bm|"
        r"stuff|diarrhea)\b|\bcoffee grounds?\b",
        r"\bsangr\w* (?:\w+ ){0,2}?(?:mucho|muchisimo|abundante|sin parar|no para|no se detiene|"
        r"no deja|a chorros)\b",
        r"\bno (?:para|deja|paro|dejo) de sangrar\b|\bmucha sangre\b",
        r"\b(?:sangrado|hemorragia) (?:\w+ )?(?:abundante|fuerte|grave|mucho|que no para)\b",
        r"\b(?:vomit\w*|tos\w*|escup\w*) (?:\w+ )?sangre\b|\b(?:heces|popo|excremento) (?:\w+ )?"
        r"negr\w*\b",
    ),
    examples=(
        "i'm bleeding a lot from a cut on my leg and it won't stop",
        "I'm vomiting blood",
        "my nose has been bleeding for 40 minutes and won't stop",
        "pooping black tarry stuff",
        "estoy sangrando mucho y no para",
    ),
    counter_examples=(
        "my gums bleed a little when I brush",
        "I'm not bleeding much anymore",
        "what is a normal blood pressure?",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

PREGNANCY = Rule(
    id="emergency.pregnancy",
    level=EMERGENCY,
    category="pregnancy",
    title="Pregnancy warning signs (bleeding, severe headache or vision change, "
    "fluid, baby not moving, severe pain)",
    rationale=(
        "In pregnancy, vaginal bleeding can be a miscarriage, an ectopic pregnancy or a "
        "placental abruption; a severe headache, seeing spots or sudden swelling can be "
        "pre-eclampsia; fewer movements of the baby, waters breaking or contractions before "
        "term need labour and delivery today. All go to the emergency department."
    ),
    patterns=(
        r"\b(?:bleed\w*|hemorrhag\w*|sangr\w*|hemorragia)\b",
        r"\bblood\b(?! (?:pressure|sugars?|tests?|work|glucose|type|count|draw|levels?|thinners?|"
        r"pressures))",
        r"\b(?:seeing spots|spots in (?:my )?vision|blurr\w* vision|vision (?:\w+ )?blurr\w*|"
        r"flashing lights)\b",
        r"\b(?:severe|terrible|horrible|worst|pounding|splitting|really bad|excruciating) "
        r"(?:\w+ )?head ?ache\b",
        r"\bwater (?:\w+ )?broke\b|\bleaking (?:\w+ )?fluid\b|\bgush of (?:\w+ )?fluid\b"
        r"|\brompi\w* (?:la )?fuente\b|\bse me rompio la fuente\b",
        r"\bbaby (?:\w+ ){0,3}?(?:not|isnt|hasnt|stopped|hardly|barely|less|wont|doesnt|didnt) "
        r"(?:\w+ )?(?:moving|moved|move|kicking|kicked|kick)\b",
        r"\b(?:no|less|decreased|reduced|fewer) (?:fetal |baby )?(?:movement|movements|kicks)\b"
        r"|\bbebe no se (?:mueve|ha movido)\b",
        r"\b(?:severe|terrible|sharp|intense|really bad|horrible|constant) (?:\w+ )?(?:abdominal|"
        r"stomach|belly|pelvic|tummy)? ?(?:pain|cramps?|cramping)\b",
        r"\bcontractions?\b|\b(?:seizure|convuls\w*|fainted|passed out)\b",
    ),
    requires=(PREGNANT,),
    examples=(
        "I'm 28 weeks pregnant and bleeding heavily",
        "estoy embarazada y tengo sangrado",
        "34 weeks pregnant with a terrible headache and seeing spots",
        "pregnant and the baby hasn't moved all day",
        "im pregnant and theres a lot of blood",
    ),
    counter_examples=(
        "I'm pregnant, can I keep taking my sertraline?",
        "I'm pregnant and my blood pressure is 125/80",
        "I'm not pregnant but I'm bleeding between periods",
        "what causes bleeding in early pregnancy?",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)
