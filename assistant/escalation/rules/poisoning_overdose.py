"""Poisoning and overdose: too much of a medicine, or something poisonous swallowed or breathed
(Poison Control, 911).
"""

from __future__ import annotations

from assistant.escalation.normalise import (
    FAMILY,
)

from . import instructions as say
from .base import EMERGENCY, Rule
from .medication import DOSE_ERROR
from .readings import (
    _many_pills,
)
from .vocabulary import (
    CHILD,
    CRISIS_WORDS,
    G2,
    G3,
    G4,
    PILLS,
)

OVERDOSE = Rule(
    id="emergency.overdose",
    level=EMERGENCY,
    category="overdose",
    title="Overdose or poisoning",
    rationale=(
        "Many overdoses (acetaminophen, iron, opioids, sedatives, blood thinners) look fine for "
        "hours and then kill; treatment works only if it starts early. Any report of swallowing "
        "far more than prescribed, a whole bottle, someone else's pills, or a household poison, "
        "and any child who got into medicines or swallowed a button battery, goes to Poison "
        "Control (1-800-222-1222) or 911 now, without waiting for symptoms."
    ),
    patterns=(
        rf"\b(?:swallowed|popped|downed|chugged|ate|eaten) {G3}(?:all|whole|entire|handful|bunch|"
        rf"bottle|box|pack|lots|ton|tons|a lot|several|many) {G4}{PILLS}\b",
        rf"\b(?:took|taken|swallowed) {G2}(?:all of|the rest of) (?:my|the|his|her|their) {G3}"
        rf"{PILLS}\b",
        rf"\b(?:took|taken|take|taking) {G3}(?:whole|entire|handful|bunch|bottle|box|pack|package|"
        rf"packet|week|weeks|month|several) {G4}{PILLS}\b",
        r"\b(?:took|taken|swallowed) (?:\w+ ){0,6}?(?:all at once|at once|at one time|in one go)\b",
        r"\b(?:took|taken|swallowed|take|taking|gave (?:him|her|my \w+)|injected) (?:\w+ ){0,2}?"
        r"(?:too many|too much|way too many|way too much|extra pills|more than (?:i|he|she) "
        r"(?:should|was supposed to))\b",
        r"\b(?:took|taken|swallowed) (?:\w+ ){0,2}?(?:\d+|two|three|four|five|six|seven|several|"
        r"a few|few) (?:days|weeks|doses) (?:worth )?of\b",
        r"\b(?:overdos\w*|over dos\w*)\b",
        r"\b(?:ate|swallowed|drank|drunk|drinking|eaten|chewed|ingested|inhaled|got into|licked|"
        r"swallowing) (?:\w+ ){0,3}?(?:bleach|detergent|laundry pods?|tide pods?|dishwasher pods?"
        r"|button batter(?:y|ies)|batter(?:y|ies)|magnets?|magnetic "
        r"(?:balls?|beads?|pieces?|toys?)|water beads?|antifreeze|cleaner|cleaning (?:fluid|"
        r"products?|solution|spray)|poison|rat poison|pesticide|insecticide|weed killer|gasoline|"
        r"kerosene|lighter fluid|lamp oil|nicotine|vape juice|e liquid|drain cleaner|ammonia|lye"
        r"|chlorine|dish soap|soap|essential oils?|perfume|nail polish remover|paint thinner|"
        r"windshield (?:washer )?fluid|mothballs?)\b",
        rf"\b(?:took|taken|swallowed|ate|got into) (?:\w+ )?(?:some of )?(?:my |his |her |their )?"
        rf"(?:{FAMILY}|someone elses|somebody elses) {G2}{PILLS}\b",
        r"\b(?:se tomo|me tome|tomo|se comio|se trago|trago) (?:\w+ ){0,3}?(?:pastillas|pildoras|"
        rf"medicinas?|medicamentos?) de (?:mi|su|la|el) {FAMILY}\b",
        rf"\b{CHILD} (?:\w+ ){{0,2}}?(?:se tomo|se comio|se trago|trago|tomo) "
        r"(?:\w+ ){0,3}?(?:pastillas|pildoras|medicinas?|medicamentos?|tabletas|cloro|jabon)\b",
        rf"\b{CHILD} {G2}(?:got into|getting into|ate|eaten|eating|swallowed|swallowing|chewed|"
        rf"chewing(?: on)?|sucking on|drank|drinking|got ahold of|got hold of) "
        rf"{G4}{PILLS}\b",
        r"(?<!food )\bpoison(?:ed|ing)?\b(?! ivy| oak| sumac)",
        r"\bcarbon monoxide\b",
        # Spanish
        r"\b(?:me tome|se tomo|tome|tomo|me trague|se trago|trague|se comio|comio|se bebio|bebio|"
        r"me bebi|se tomaron) (?:\w+ ){0,3}?(?:todas|todo|todos|frasco|caja|bote|monton|muchas|"
        r"muchos|demasiad\w*|puno) (?:\w+ ){0,3}?(?:pastillas|pildoras|tabletas|medicinas?|"
        r"medicamentos?|frasco|caja|bote|capsulas)\b",
        r"\b(?:me tome|tome|se tomo|tomo|trague|se trago) (?:\w+ ){0,2}?(?:un|una|el|la) "
        r"(?:frasco|caja|bote)\b",
        r"\b(?:me tome|tome|se tomo|tomo) (?:\w+ ){0,2}?demasiad\w*\b",
        r"\bsobredosis\b|\benvenen\w*\b",
        r"\b(?:se tomo|tomo|bebio|se bebio|se comio|trago|se trago) (?:\w+ ){0,2}?(?:cloro|lejia|"
        r"veneno|detergente|pila|bateria|insecticida|gasolina|imanes|iman|baterias|pilas|"
        r"capsulas de detergente|parches?|aceite de lampara|anticongelante|limpiador)\b",
    ),
    finder=_many_pills,
    examples=(
        "I swallowed a whole bottle of tylenol",
        "I took all my pills at once",
        "took like 15 tylenol an hour ago",
        "i think i overdosed on my oxycodone",
        "my toddler got into my blood pressure pills",
        "my 2 year old swallowed a button battery",
        "my son drank some bleach",
        "I took too many of my pain pills",
        "I just took all of my antidepressants",
        "me tomé todas las pastillas del frasco",
        "se tomó un frasco de pastillas",
        "my daughter drank dish soap",
        "I took my husband's oxycodone",
        "mi hija se tomó unas pastillas de mi mamá",
        "our 18-month-old was chewing on my nicotine gummies",
        "el bebé se tragó dos imanes de la nevera",
    ),
    counter_examples=(
        "I took 2 tylenol for my headache",
        "I think I have food poisoning",
        "I took 20 units of insulin this morning",
        "how do I get rid of poison ivy?",
        "how much acetaminophen causes an overdose?",
        "my 2 year old swallowed a watermelon seed, he's fine and playing",
    ),
    instructions=say.OVERDOSE,
    education_lowerable=True,
)

# Signs that a dose taken twice is acting as a poison now: the mind (drowsy, not answering), the
# blood (bleeding that will not stop on a blood thinner), the heart and breathing.
_TOXIC_SIGNS = (
    CRISIS_WORDS,
    r"\b(?:clammy|not answering|wont answer|not responding|unresponsive|nodding off|cant wake"
    r"|bleed\w*|nosebleed|blood in|vomiting blood|bruis\w*|heart (?:is )?(?:racing|pounding)"
    r"|trouble breathing|cant breathe|breathing (?:slow|funny|hard)|sugar (?:\w+ )?dropping"
    r"|no (?:me )?contesta|no responde|sangr\w*|moretones|sudando mucho|no despierta)\b",
)
MEDICINE_MISTAKE_WITH_DANGER = Rule(
    id="emergency.medicine_mistake_danger",
    level=EMERGENCY,
    category="overdose",
    title="A dose taken twice or by mistake, with signs it is doing harm",
    rationale=(
        "A doubled dose alone is for a nurse or Poison Control; the same mistake followed by "
        "drowsiness, confusion, not answering, bleeding that will not stop, a racing heart or "
        "trouble breathing is a poisoning in progress (insulin and sulfonylureas, blood "
        "thinners, opioids, heart and seizure medicines): Poison Control and 911 now."
    ),
    patterns=DOSE_ERROR.patterns,
    requires=_TOXIC_SIGNS,
    examples=(
        "my dad took his blood thinner twice and now his nose won't stop bleeding",
        "she took her methadone twice today and keeps nodding off",
        "mi abuelo se tomo dos veces su pastilla y no me contesta bien",
    ),
    counter_examples=(
        "I took my dose twice by mistake, no bleeding, I feel fine",
        "I took my lisinopril twice this morning, what should I do?",
    ),
    instructions=say.OVERDOSE,
)
