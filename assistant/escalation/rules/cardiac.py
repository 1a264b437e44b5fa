"""Heart and circulation: chest pain, palpitations with fainting, fainting with red flags,
a hypertensive crisis, shock (911).
"""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule
from .readings import (
    _bp_crisis,
    _bp_shock,
)

CHEST_PAIN = Rule(
    id="emergency.chest_pain",
    level=EMERGENCY,
    category="cardiac",
    title="Chest pain, pressure or signs of a heart attack",
    rationale=(
        "Chest pain, pressure, tightness or heaviness can be a heart attack, a pulmonary "
        "embolism or an aortic dissection; each hour of delay costs heart muscle or life, and "
        "women, older people and people with diabetes often describe it vaguely. The patient "
        "cannot rule it out by message, so any present chest pain, hedged or not ('not sure if "
        "it's chest pain but it hurts'), is an emergency. Only an explicit denial ('I don't have "
        "chest pain') or a general question with no lived experience lowers it."
    ),
    patterns=(
        r"\bchest (?:\w+ ){0,3}?(?:pain|pains|hurts?|hurting|ache|aches|aching|pressure|tight|"
        r"tightness|tightening|heavy|heaviness|squeez\w*|crush\w*|discomfort|stabbing|burning|"
        r"burns|sore|sharp|weight|pounding|cramp\w*|killing|kills)\b",
        r"\b(?:pain|pains|pressure|tightness|heaviness|squeezing|crushing|discomfort|ache|aching|"
        r"hurts?|hurting|burning|stabbing|weight|sharp pain) (?:\w+ ){0,3}?(?:in|on|across|around|"
        r"of|at|under|behind|through) (?:the |my |his |her |their )?(?:(?:middle|center|centre|"
        r"left side) of (?:the |my |his |her )?)?chest\b",
        r"\b(?:elephant|someone|something|brick|bricks) (?:\w+ ){0,2}?(?:on|sitting on) "
        r"(?:my |his |her )?chest\b",
        r"\b(?:grabbing|clutching|holding|grabbed|clutched|gripping) (?:at )?(?:his|her|their|my) "
        r"chest\b",
        r"\b(?:tight|heavy|crushing|squeezing|burning|sharp|stabbing) (?:feeling )?(?:in )?"
        r"(?:my |the |his |her )?chest\b",
        r"\b(?:having|is this|was that|could this be|could it be|might be|may be|maybe|feels like|"
        r"feel like|felt like|like i am having|think (?:\w+ ){0,3}?(?:having|had)|signs of|"
        r"symptoms of|going to have|about to have) (?:a |an )?(?:mini )?heart ?attack\b",
        r"\bcardiac arrest\b",
        r"\bheart (?:\w+ ){0,2}?(?:hurts?|hurting|pain|pains)\b",
        # Spanish, French, Portuguese
        r"\b(?:dolor|dolores|presion|opresion|peso|ardor|molestia|punzada|punzadas|apreton) "
        r"(?:\w+ ){0,2}?(?:de|en|del) (?:el |mi |su )?pecho\b",
        r"\b(?:me|le) (?:duele|dolia|esta doliendo|aprieta|arde) (?:\w+ ){0,2}?(?:el )?pecho\b",
        r"\bpecho (?:\w+ ){0,2}?(?:duele|apretado|oprimido|aprieta)\b",
        r"\b(?:dolor|presion) (?:\w+ )?(?:toracico|toracica)\b",
        r"\b(?:estoy teniendo|esta teniendo|creo que (?:\w+ ){0,3}?|me esta dando|le esta dando|"
        r"tengo|tiene|sintomas de|senales de|como) (?:un |una )?(?:infarto|ataque (?:al corazon|"
        r"cardiaco))\b",
        r"\b(?:cheat|chets|chst) (?:pain|pains|hurts?|pressure|tight\w*)\b",
        r"\b(?:douleur|douleurs|mal|serrement|oppression|pression) (?:\w+ ){0,2}?(?:a la|dans "
        r"la|de la|a|au niveau de la|sur la) poitrine\b|\bcrise cardiaque\b",
        r"\b(?:dor|dores|aperto|pressao|peso) (?:\w+ ){0,2}?(?:no|do|de|em|na) peito\b",
    ),
    examples=(
        "I have sudden severe chest pain",
        "chest pian for the last 20 min",
        "my chest feels tight like someone is sitting on it",
        "not sure if it's chest pain but it hurts right in the middle of my chest",
        "pressure in my chest and i feel like passing out",
        "I think im having a heart attack",
        "my husband is grabbing his chest and sweating",
        "me duele mucho el pecho",
        "tengo dolor de pecho",
        "dor no peito muito forte",
    ),
    counter_examples=(
        "I don't have chest pain, I'm just curious what angina means",
        "what does chest pain from angina feel like in general?",
        "my dad had a heart attack 5 years ago, what diet is best for him?",
        "I have a chest cold and a cough",
        "is chest pain always a heart attack?",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

PALPITATIONS_FAINT = Rule(
    id="emergency.palpitations_faint",
    level=EMERGENCY,
    category="cardiac",
    title="Racing or irregular heart with faintness, chest pain or breathlessness",
    rationale=(
        "Palpitations alone are usually benign, but with near-fainting, chest pain or "
        "breathlessness they can be a dangerous arrhythmia that can stop the heart."
    ),
    patterns=(
        r"\bheart (?:\w+ ){0,2}?(?:racing|pounding|beating (?:\w+ ){0,2}?fast|fluttering|skipping|"
        r"going crazy|flutter\w*)\b|\bpalpitation\w*\b",
        r"\bcorazon (?:\w+ ){0,2}?(?:acelerado|late muy rapido|palpita)\b",
    ),
    requires=(
        r"\b(?:faint\w*|pass(?:ing|ed)? out|black(?:ing|ed)? out|dizzy|lightheaded|light headed|"
        r"chest|short of breath|shortness of breath|cant breathe|desmay\w*|mareado|pecho)\b",
    ),
    examples=(
        "my heart is racing and i feel like im going to pass out",
        "heart pounding and I'm really dizzy",
    ),
    counter_examples=(
        "no chest pain or anything but my heart keeps skipping beats",
        "my heart races when I drink coffee",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

FAINTING_RED_FLAGS = Rule(
    id="emergency.fainting_red_flags",
    level=EMERGENCY,
    category="unconscious",
    title="Fainting with chest pain, palpitations, breathlessness, head injury or pregnancy",
    rationale=(
        "Fainting after standing up fast is usually benign (urgent, not emergency), but "
        "fainting with chest pain, palpitations or breathlessness can be a heart rhythm "
        "problem or a pulmonary embolism; on a blood thinner, after a head blow or in pregnancy "
        "it can hide bleeding."
    ),
    patterns=(
        r"\b(?:passed out|pass out|passing out|fainted|faint|fainting|blacked out|black out|"
        r"blacking out|lost consciousness|lose consciousness|losing consciousness|syncope|"
        r"se desmayo|me desmaye|desmayo|desmayos|perdio el conocimiento|perdi el conocimiento)\b",
    ),
    requires=(
        r"\bchest\b|\bpecho\b|\bheart (?:\w+ ){0,2}?(?:racing|pounding|fluttering|skipping)|"
        r"palpitation|short of breath|shortness of breath|cant breathe|hit (?:my|his|her) head|"
        r"blood thinner|eliquis|xarelto|warfarin|coumadin|pregnan\w*|embarazada|seizure|"
        r"convuls\w*|black stools?|bleeding|sangr\w*|still (?:out|not|hasnt)|wont wake|"
        r"no responde|no despierta",
    ),
    examples=(
        "I fainted and now have chest pain",
        "lost consciousness for a minute and my chest hurts",
        "passed out and I'm on eliquis",
    ),
    counter_examples=("I fainted yesterday when I stood up too fast",),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

HYPERTENSIVE = Rule(
    id="emergency.hypertensive",
    level=EMERGENCY,
    category="blood_pressure",
    title="Very high blood pressure with symptoms",
    rationale=(
        "A pressure of 180/120 or more with headache, chest pain, breathlessness, vision "
        "change, confusion or weakness is a hypertensive emergency (organ damage happening "
        "now). The same numbers without symptoms are urgent."
    ),
    patterns=(),
    finder=_bp_crisis,
    requires=(
        r"\b(?:head ?aches?|chest|vision|blurr\w*|seeing spots|(?:seeing|see|seeing everything) "
        r"double|cant see|trouble seeing|confus\w*|numb\w*|weak\w*|short of breath|cant breathe|"
        r"cant catch (?:my|his|her) breath|slurr\w*|nosebleed|dizzy|vomit\w*|dolor de cabeza|"
        r"vision borrosa|veo doble|ve doble|pecho"
        # Spanish says where it hurts with the verb: "le duele mucho la cabeza", "ve borroso".
        r"|duele\w* (?:\w+ ){0,2}?cabeza|borros\w*|mare\w*|confundid\w*|entumid\w*|debil\w*"
        r"|vomit\w*|ve (?:\w+ )?(?:manchas|lucecitas))\b",
    ),
    examples=(
        "my blood pressure is 210/125 and I have a pounding headache",
        "bp 190 over 115 with chest tightness",
        "I'm 58 and my blood pressure is 200/118 and I'm seeing double",
    ),
    counter_examples=(
        "my blood pressure is 185/100, no symptoms",
        "my blood pressure has been 165/100 and I have a headache",
    ),
    instructions=say.EMERGENCY,
)

SHOCK = Rule(
    id="emergency.shock",
    level=EMERGENCY,
    category="blood_pressure",
    title="Low blood pressure with signs of shock",
    rationale=(
        "A top number under 90 with confusion, fainting, fever and chills, bleeding or cold "
        "clammy skin is shock (from infection, blood loss or dehydration): organs are not "
        "getting enough blood, and it needs emergency care now. A low reading alone, in someone "
        "who feels well, is for the care team."
    ),
    patterns=(),
    finder=_bp_shock,
    requires=(
        r"\b(?:confus\w*|not making sense|passed out|pass out|passing out|faint\w*|"
        r"black(?:ed|ing)? out|fever|temp"
        r"|chills|shaking|rigors|bleeding|passing blood|vomiting blood|dark red|bright red|clammy"
        r"|cold|sweaty|fading|cant stand|pale"
        r"|confundid\w*|desmay\w*|fiebre|escalofrios|sangr\w*|sudando|frio)\b",
    ),
    examples=(
        "his blood pressure is 82/50 and he is confused",
        "BP 78/45, fever of 102 and chills",
        "mi papa tiene la presion 80/50 y esta confundido",
    ),
    counter_examples=(
        "my blood pressure is usually 88/60, is that ok?",
        "my bp was 85/55 this morning and I feel fine",
    ),
    instructions=say.EMERGENCY,
)
