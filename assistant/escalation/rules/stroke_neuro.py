"""Stroke and neurology: stroke signs, seizures, someone unresponsive, head injury (911)."""

from __future__ import annotations

from assistant.escalation.normalise import (
    FAMILY,
)

from . import instructions as say
from .base import EMERGENCY, Rule

STROKE = Rule(
    id="emergency.stroke",
    level=EMERGENCY,
    category="stroke",
    title="Signs of a stroke (face, arm, speech, vision, sudden severe headache)",
    rationale=(
        "Stroke treatment (clot-busting drugs, clot retrieval) only works within hours of "
        "onset, so every minute counts. The FAST signs (face drooping, arm or leg weakness on "
        "one side, slurred or jumbled speech) plus sudden vision loss, sudden confusion or "
        "trouble walking, and a sudden 'worst headache of my life' (brain bleed) are "
        "emergencies, whoever has them: patients often write about a spouse or a parent."
    ),
    patterns=(
        r"\b(?:face|mouth|smile|lip|lips|eyelid|cheek) (?:\w+ ){0,3}?(?:droop\w*|crooked|"
        r"lopsided|uneven|sagging|saggy|twisted|slanted|paraly\w*|fell|falling|numb|frozen|weird|"
        r"strange|funny)\b",
        rf"\b(?:he|she|{FAMILY}) (?:suddenly |all of a sudden )?(?:cant|couldnt|can barely|is "
        r"unable to|isnt able to) (?:talk|speak)\b",
        r"\b(?:cant|couldnt) (?:walk|stand) (?:straight |up )?(?:\w+ ){0,2}?(?:all of a sudden|"
        r"suddenly|out of nowhere)\b",
        r"\bstroke (?:symptoms|signs)\b",
        r"\b(?:droop\w*|crooked|lopsided|uneven|sagging|paraly\w*) (?:\w+ ){0,2}?(?:face|smile|"
        r"mouth)\b",
        r"\bdrool\w* (?:\w+ ){0,2}?(?:one side|side of)\b",
        r"\b(?:cant|couldnt|unable to|not able to|wont|struggling to|trouble) (?:\w+ ){0,2}?"
        r"(?:lift|raise|move|feel|use|hold up|grip) (?:(?!\w+ms? )\w+ ){0,3}?(?:arm|arms|leg|legs|"
        r"hand|side|foot)\b",
        r"\b(?:weak\w*|numb\w*|paraly\w*|heavy|dead|limp|tingl\w*) (?:\w+ ){0,3}?(?:one side|"
        r"left side|right side|(?:left|right) (?:arm|leg|hand|side|foot)|arm and leg|leg and arm|"
        r"half (?:of )?(?:my|his|her) body)\b",
        r"\b(?:left|right|one) (?:arm|leg|hand|side|foot)s? (?:\w+ ){0,3}?(?:weak\w*|numb\w*|heavy|"
        r"dead|limp|tingl\w*|paraly\w*|wont (?:move|work)|not (?:moving|working)|doesnt work|"
        r"useless|floppy)\b",
        r"\b(?:my|his|her) arm (?:\w+ ){0,2}?(?:numb|weak|heavy|dead|limp)\b",
        r"\b(?:speech|speaking|talking|words|talk|talks|speak) (?:\w+ ){0,3}?(?:slurr\w*|garbled|"
        r"jumbled|weird|strange|funny|wrong|mixed up|messed up|not making sense|dont make sense|"
        r"nonsense|gibberish)\b",
        r"\b(?:slurr\w*|garbled|jumbled|mixed up|nonsense|gibberish) (?:\w+ ){0,2}?(?:speech|"
        r"words|talking|sentences)\b",
        r"\bslurr(?:ed|ing|y|s)?\b",
        r"\b(?:cant|couldnt|unable to|not able to|trouble|difficulty) (?:\w+ )?(?:talk|speak) "
        r"(?:right|properly|clearly|normally|straight)\b",
        r"\b(?:cant|couldnt|unable to) (?:get (?:the |my |his |her )?words out|find (?:the |my "
        r"|his |her )?words)\b",
        r"\b(?:sudden\w*|all of a sudden) (?:\w+ ){0,4}?(?:cant see|lost (?:\w+ )?(?:vision|sight)"
        r"|vision loss|loss of vision|blind|double vision|blurr\w* vision|see double|seeing "
        r"double)\b",
        r"\b(?:cant|couldnt) see (?:\w+ )?(?:out of|from|with|in) (?:my |his |her |one |the )?"
        r"(?:left |right |one )?(?:eye|side)\b",
        r"\b(?:lost|losing|loss of|lose) (?:\w+ ){0,2}?(?:vision|sight) (?:in|of|from) (?:one|my|"
        r"his|her|the|left|right)\b|\bwent blind\b|\bcurtain (?:\w+ ){0,3}?(?:eye|vision)\b",
        r"\bworst (?:\w+ ){0,2}?head ?aches?\b|\bthunderclap\b",
        r"\b(?:sudden|suddenly|explosive|exploding) (?:\w+ ){0,3}?(?:head ?aches?|head pain|pain "
        r"in (?:my|his|her|the) head)\b",
        r"\bhead ?aches? (?:\w+ ){0,4}?(?:sudden|suddenly|out of nowhere|like a thunderclap)\b",
        r"\b(?:sudden\w*|all of a sudden|out of nowhere) (?:\w+ ){0,3}?(?:confused|confusion|"
        r"disoriented|not making sense|cant (?:walk|stand|talk|speak)|lost (?:his|her|my) balance"
        r"|off balance|cant walk straight)\b",
        r"\b(?:confused|disoriented|not making sense) (?:\w+ ){0,2}?(?:all of a sudden|suddenly|"
        r"out of nowhere)\b",
        r"\b(?:having|is this|was that|could this be|could it be|might be|may be|maybe|think "
        r"(?:\w+ ){0,3}?(?:having|had)|signs of|symptoms of|like|possible|mini) (?:a |an )?"
        r"(?:stroke|tia|mini stroke)\b",
        # Spanish, French
        r"\b(?:cara|boca) (?:\w+ ){0,2}?(?:caida|torcida|chueca|dormida|paralizada|colgada)\b",
        r"\bno (?:puede|puedo|podia) (?:\w+ )?(?:mover|levantar|sentir) (?:\w+ ){0,2}?(?:brazo|"
        r"pierna|lado|mano|cara)\b",
        rf"\b(?:mi {FAMILY}|el|ella) (?:de repente )?no (?:puede|podia) hablar\b",
        r"\bno (?:puede|puedo) hablar (?:bien|claro)\b|\bhabla (?:\w+ )?(?:raro|rara|arrastrad\w*|"
        r"enredad\w*|extrano)\b|\barrastra (?:las )?palabras\b|\bno se le entiende\b",
        r"\b(?:perdi|perdio|pierdo) (?:la )?(?:vista|vision)\b|\bno (?:veo|ve) (?:\w+ )?(?:de|por"
        r"|con) un ojo\b",
        r"\bel peor dolor de cabeza\b|\bdolor de cabeza (?:\w+ ){0,2}?(?:repentino|de repente|"
        r"subito|explosivo)\b",
        r"\b(?:estoy teniendo|esta teniendo|creo que (?:\w+ ){0,3}?|le esta dando|me esta dando|"
        r"tiene|tengo|sintomas de|senales de) (?:un |una )?(?:derrame|embolia|ataque cerebral|"
        r"ictus)\b",
        r"\bavc\b",
    ),
    examples=(
        "My wife suddenly can't lift her right arm and her words are jumbled",
        "my wife's face is drooping on one side",
        "his speech is slurred",
        "I think my mom is having a stroek",
        "suddenly I can't see out of my left eye",
        "worst headache of my life",
        "half my face went numb",
        "sudden weakness in my right arm and leg",
        "mi esposo tiene la cara caída",
        "mi papá no puede mover el brazo",
        "help my dad cant talk and his face is weird",
        "mi papá no puede hablar",
        "I can't walk straight all of a sudden",
    ),
    counter_examples=(
        "what are the signs of a stroke?",
        "what does a stroke look like?",
        "how can my dad prevent a second stroke? he had one in 2019",
        "my hand has been weak for a few days",
        "my vision is blurred when I read",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

SEIZURE = Rule(
    id="emergency.seizure",
    level=EMERGENCY,
    category="seizure",
    title="Seizure happening now, prolonged, repeated or first ever",
    rationale=(
        "A seizure lasting over 5 minutes, repeated seizures, a first-ever seizure or one "
        "after which the person does not wake up needs emergency care (status epilepticus "
        "damages the brain). A seizure mentioned as history, or seizure medicines, are not this "
        "rule."
    ),
    patterns=(
        r"\b(?:having|is having|keeps having|keep having|started having|having another|in the "
        r"middle of|just had|has had|had (?:another|two|2|multiple|several)) (?:a |an |another "
        r"|multiple |several |two |2 |3 )?(?:seizures?|fits?|convulsions?)\b",
        r"\bhad (?:a |an )?(?:seizure|convulsion) (?:\w+ ){0,2}?(?:today|this morning|tonight|"
        r"just now|an hour ago|\d+ (?:minutes|hours) ago|and (?:isnt|wont|not|still))\b",
        r"\bfirst (?:ever )?seizure\b",
        r"\b(?:seizing|convulsing)\b",
        r"\b(?:seizures?|fits?|convulsions?) (?:\w+ ){0,4}?(?:wont|doesnt|didnt|isnt|not|hasnt)"
        r" (?:\w+ )?(?:stop\w*|ending|end|over)\b",
        r"\b(?:seizure|seizing|fit|convulsing) (?:\w+ ){0,4}?(?:\d+|five|ten|several|many) "
        r"(?:minutes|mins)\b",
        r"\bconvuls\w*\b|\bataque (?:epileptico|de epilepsia)\b",
    ),
    examples=(
        "my son is having a seizure and it's been more than 5 minutes",
        "my wife is seizing and won't stop",
        "mi hijo está convulsionando",
        "he just had his first seizure",
    ),
    counter_examples=(
        "missed 2 doses of my seizure medicine",
        "what should you do if someone has a seizure?",
        "I had a seizure years ago, can I drive now?",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

_PERSON = (
    rf"(?:he|she|they|him|her|them|person|someone|somebody|patient|{FAMILY}|i|me|it)"  # subject
)
UNRESPONSIVE = Rule(
    id="emergency.unresponsive",
    level=EMERGENCY,
    category="unconscious",
    title="Unconscious, unresponsive, collapsed or not breathing",
    rationale=(
        "Someone who cannot be woken, does not respond, has collapsed or is not breathing may "
        "be in cardiac arrest, severe hypoglycaemia, overdose or stroke: 911 and CPR now."
    ),
    patterns=(
        r"\b(?:unconscious|unresponsive|passed out cold|lifeless)\b",
        rf"\b{_PERSON} (?:\w+ ){{0,3}}?(?:not responding|isnt responding|wont respond|doesnt "
        r"respond|not responsive|isnt waking|not waking|wont wake|cant wake|doesnt wake|hard to "
        r"wake|difficult to wake|wont come to)\b",
        rf"\b(?:cant|couldnt) (?:wake|get) (?:him|her|them|my \w+|{FAMILY})(?: up)?\b",
        r"\b(?:collapsed|collapse|collapsing)\b",
        r"\b(?:stopped breathing|no pulse|no heartbeat)\b",
        r"\b(?:inconsciente|desmayad[oa] y no)\b",
        r"\bno (?:responde|reacciona|despierta|se despierta|respira)\b(?! (?:a )?(?:mis|los|sus|"
        r"mi|el|la|a) )",
    ),
    examples=(
        "my husband passed out and won't wake up",
        "hubby collapsed on the kitchen floor",
        "mi mamá se desmayó y no responde",
        "my grandma won't wake up",
    ),
    counter_examples=(
        "my doctor isn't responding to my messages",
        "mi doctor no responde mis mensajes",
        "what should you do if someone is unconscious?",
    ),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

HEAD_INJURY = Rule(
    id="emergency.head_injury",
    level=EMERGENCY,
    category="head_injury",
    title="Head injury on a blood thinner, or with vomiting, confusion or drowsiness",
    rationale=(
        "A blow to the head in someone on a blood thinner, or followed by vomiting, confusion, "
        "drowsiness, a seizure or loss of consciousness, can be a brain bleed that needs a CT "
        "scan now."
    ),
    patterns=(
        r"\b(?:hit|bumped|banged|struck|smacked|knocked|cracked|injured|hurt) (?:\w+ ){0,2}?"
        r"head\b|\bhead (?:injury|trauma|wound)\b|\bfell (?:\w+ ){0,3}?(?:head|hit)\b"
        r"|\bconcussion\b|\bgolpe en la cabeza\b|\bme (?:pegue|golpee) (?:en )?la cabeza\b",
    ),
    requires=(
        r"\b(?:blood thinner|thinners|eliquis|apixaban|xarelto|rivaroxaban|warfarin|coumadin|"
        r"pradaxa|plavix|anticoagulant\w*|vomit\w*|throwing up|threw up|confus\w*|passed out|"
        r"knocked out|blacked out|unconscious|seizure|sleepy|drowsy|wont wake|worst headache|"
        r"slurr\w*|anticoagulante)\b",
    ),
    examples=(
        "hit my head and I'm on eliquis, now throwing up",
        "my mom fell and hit her head and she's confused",
    ),
    counter_examples=("I bumped my head on the cupboard, small bump, feel fine",),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)
