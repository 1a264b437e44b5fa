"""Breathing and allergy: anaphylaxis, struggling to breathe, a clot in the lung (911)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule
from .readings import (
    _oxygen_low,
)

ANAPHYLAXIS = Rule(
    id="emergency.anaphylaxis",
    level=EMERGENCY,
    category="anaphylaxis",
    title="Severe allergic reaction (anaphylaxis, angioedema)",
    rationale=(
        "A throat that closes, a tongue or lips that swell, or breathing trouble after a "
        "sting, a food or a new medicine can block the airway within minutes; epinephrine "
        "and 911 are the treatment. Needing or having used an EpiPen means 911 even if it "
        "helped, because symptoms can come back. ACE-inhibitor angioedema (lips, tongue) "
        "belongs here too."
    ),
    patterns=(
        r"\bthroat (?:(?!and\b|or\b|with\b)\w+ ){0,3}?(?:closing|closed|close up|closes|swelling|"
        r"swollen|swelled|tight|tightening|tightens|shut|constrict\w*|narrow\w*)\b",
        r"\b(?:closing|tightening) (?:up )?(?:\w+ )?throat\b",
        r"\b(?:tongue|lips?|mouth) (?:(?:and|is|are|my|his|her|the|getting|started|starting|keep|"
        r"keeps|really|all|feel|feels|look|looks|both|tongue|lips?|face|up|so|very|went|have|has|"
        r"been|just|suddenly) ){0,4}?(?:swell\w*|swollen|puff\w*|huge|getting big|getting bigger|"
        r"blowing up|ballooning)\b",
        r"\bswell\w* (?:of |in |on )?(?:my |his |her |the )?(?:tongue|lips?|throat)\b",
        r"\banaphyla\w*\b",
        r"\b(?:severe|serious|major|terrible|scary|bad|really bad|big|strong) allergic reaction\b",
        r"\b(?:used|use|using|gave|give|giving|injected|inject|had to use) (?:\w+ ){0,2}?"
        r"(?:epi ?pen|epinephrine|auvi ?q|adrenaline)\b",
        r"\b(?:se me (?:esta )?cerrando|se me cierra|se cierra|cerrando|cerrandose) (?:\w+ ){0,2}?"
        r"garganta\b",
        r"\bgarganta (?:\w+ ){0,2}?(?:cerrando|cerrada|se cierra|se me cierra|hinchad\w*|"
        r"inflamad\w*)\b",
        r"\b(?:lengua|labios?|boca) (?:\w+ ){0,2}?(?:hinchad\w*|inflamad\w*)\b",
        r"\b(?:se me|se le) (?:esta )?(?:hinch|inflam)\w* (?:la |los |el )?(?:lengua|labios?|"
        r"garganta|boca)\b",
        r"\b(?:hinchazon|inflamacion) (?:de|en) (?:la |los |mi |mis )?(?:lengua|labios|garganta)\b",
        r"\breaccion alergica (?:grave|fuerte|severa|seria)\b|\bchoque anafilactico\b",
    ),
    examples=(
        "my throat is closing up after a bee sting",
        "lips and tongue swelling up after the new antibiotic",
        "I used my epipen but I still feel off",
        "severe allergic reaction, hives everywhere",
        "se me está cerrando la garganta",
        "se me hinchó la lengua",
    ),
    counter_examples=(
        "I have a sore throat and swollen tonsils",
        "what is anaphylaxis?",
        "my throat is sore since yesterday",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

ALLERGY_WITH_BREATHING = Rule(
    id="emergency.allergy_breathing",
    level=EMERGENCY,
    category="anaphylaxis",
    title="Allergic trigger with breathing trouble, wheeze or faintness",
    rationale=(
        "A sting, a food allergen, hives or a new drug together with wheezing, breathing "
        "trouble, a tight chest or faintness is anaphylaxis until proven otherwise."
    ),
    patterns=(
        r"\b(?:sting|stung|bee|wasp|hornet|yellow jacket|fire ants?|peanuts?|tree nuts?|nuts|"
        r"shellfish|shrimp|lobster|crab|allergic|hives|penicillin|cacahuate|mani|picadura|picado|"
        r"alergia|alergica|mariscos|camaron)\b",
    ),
    requires=(
        r"\b(?:cant breathe|cant breath|hard to breathe|trouble breathing|difficulty breathing|"
        r"short of breath|wheez\w*|face (?:\w+ )?(?:swell\w*|swollen)|swollen face|dizzy|faint\w*|"
        r"pass(?:ing)? out|chest (?:\w+ )?tight|tight chest|no puedo respirar|me ahogo|"
        r"falta el aire)\b",
    ),
    examples=(
        "got stung by a wasp and now i cant breath",
        "ate peanuts by mistake and I'm wheezing",
    ),
    counter_examples=("how do you treat a bee sting at home?", "I'm allergic to penicillin"),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

BREATHING = Rule(
    id="emergency.breathing",
    level=EMERGENCY,
    category="breathing",
    title="Severe difficulty breathing",
    rationale=(
        "Not being able to breathe, gasping, blue lips, choking, an oxygen level under 90% or "
        "an asthma inhaler that no longer helps means too little oxygen now: 911. Milder or "
        "long-standing breathlessness ('short of breath on the stairs lately') is urgent, not an "
        "emergency, and is handled by the new-symptom rule."
    ),
    patterns=(
        r"\b(?:cant|couldnt|unable to|not able to|can barely|barely|hardly|struggling to|struggle "
        r"to|fighting to|hard to|difficult to|hard time|trouble|difficulty) (?:\w+ )?(?:breathe|"
        r"breath|breathing|get (?:a |my |enough )?(?:breath|air)|catch (?:my|his|her|a|their) "
        r"breath)\b",
        r"\b(?:gasping|struggling|fighting) (?:for )?(?:air|breath)\b|\bgasping\b",
        r"\bchoking\b",
        r"\b(?:lips?|face|fingers?|fingernails|skin|nails?|mouth) (?:\w+ ){0,3}?(?:blue|bluish|"
        r"purple|grey|gray)\b|\bturn\w* (?:blue|purple|grey|gray)\b",
        r"\b(?:not|stopped|isnt|wasnt|barely) breathing\b",
        r"\b(?:severe|severely|really|very|extremely|so|super|terribly|badly|seriously|suddenly|"
        r"sudden) (?:\w+ )?(?:short of breath|shortness of breath|breathless|winded|out of "
        r"breath)\b",
        r"\b(?:short of breath|shortness of breath|breathless|out of breath) (?:\w+ ){0,4}?(?:at "
        r"rest|sitting|lying down|resting|doing nothing|even when|all of a sudden|cant talk|can "
        r"barely talk|cant speak|getting worse fast)\b",
        r"\b(?:inhaler|nebuli[sz]er|albuterol|puffer|breathing treatment) (?:\w+ ){0,3}?(?:not|"
        r"isnt|doesnt|wont|aint|no longer) (?:\w+ )?(?:working|helping|help|work)\b",
        r"\b(?:having|in the middle of|bad|severe|serious) (?:an? )?asthma attack\b",
        r"\bno (?:puedo|puede|podia|pude) (?:\w+ )?respirar\b",
        r"\b(?:me|se) (?:estoy |esta )?ahog\w*\b|\bno (?:me|le) entra (?:el )?aire\b",
        r"\b(?:me|le) falta (?:mucho )?(?:el )?aire\b|\bdificultad (?:\w+ )?para respirar\b",
        r"\blabios (?:\w+ )?(?:morados|azules)\b",
        r"\bne (?:peux|peut|pouvait) pas respir\w*|\bj ai du mal a respir\w*",
        r"\bnao consigo respirar\b|\bfalta de ar\b",
    ),
    finder=_oxygen_low,
    examples=(
        "I can't breathe",
        "cant catch my breath even sitting still",
        "my lips look blue",
        "my asthma inhaler isn't working and I'm gasping",
        "my oxygen reading is 84%",
        "no puedo respirar",
        "je ne peux pas respirer",
    ),
    counter_examples=(
        "what does shortness of breath from heart failure feel like?",
        "I get a bit short of breath on the stairs lately",
        "my oxygen is 97, is that normal?",
        "I can breathe fine now",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

BLOOD_CLOT_LUNG = Rule(
    id="emergency.pulmonary_embolism",
    level=EMERGENCY,
    category="breathing",
    title="Swollen painful leg with breathlessness or chest pain",
    rationale=(
        "A swollen, painful leg is a possible deep vein thrombosis (urgent); with new "
        "breathlessness, chest pain or coughing blood the clot may have reached the lungs "
        "(pulmonary embolism), which can kill suddenly."
    ),
    patterns=(
        r"\b(?:leg|calf|calves|legs|thigh) (?:\w+ ){0,3}?(?:swollen|swelling|swell\w*|painful|red|"
        r"warm|hurts)\b|\b(?:swollen|swelling) (?:\w+ ){0,2}?(?:leg|calf)\b|\bblood clot\b"
        r"|\bdvt\b",
    ),
    requires=(
        r"\b(?:short of breath|shortness of breath|cant breathe|cant catch (?:my )?breath|hard to "
        r"breathe|cough\w* (?:up )?blood|chest (?:\w+ ){0,2}?(?:pain|hurts|tight)|pain when i "
        r"breathe)\b",
    ),
    examples=("my calf is swollen and now I'm short of breath",),
    counter_examples=("my leg has been swollen for 3 days",),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)
