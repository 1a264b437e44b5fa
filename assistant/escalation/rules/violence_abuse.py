"""Violence and abuse: a threat to hurt someone, or danger from someone now (911, 988)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule
from .vocabulary import (
    _VIOLENCE_GAP,
    VIOLENT_OBJECT,
)

# A sentence that laughs at what it says ("haha", "jaja", "lol") is not telling of a threat.
_NOT_A_JOKE = r"(?![^.]*\b(?:haha\w*|jaja\w*|jeje\w*|lol|lmao|jk|kidding|joking|bromeando)\b)"

VIOLENCE = Rule(
    id="emergency.violence",
    level=EMERGENCY,
    category="harm_to_others",
    title="Thoughts of harming someone, or being in danger from someone",
    rationale=(
        "A patient who says they may hurt someone (a partner, a baby, a stranger) needs "
        "immediate crisis help to keep everyone safe; postpartum thoughts of harming the baby "
        "are a psychiatric emergency. A patient being threatened or hurt by someone is in "
        "danger now. Both get 911 and the 988 line."
    ),
    patterns=(
        rf"\bi (?:am |will |would |might |could |want |feel |keep |have )?{_VIOLENCE_GAP}{{0,3}}?"
        rf"(?:kill|hurt|harm|shoot|stab|strangle|smother|choke|beat up|attack|drown|poison) "
        rf"{VIOLENT_OBJECT}\b(?! feelings| by accident| accidentally)",
        r"\b(?:homicidal|murder(?:ous)?)\b",
        r"\b(?:threatening|threatened|trying|tried|going) to (?:kill|hurt|shoot|stab|strangle) "
        r"(?:me|us|my kids?|the kids?|my children)\b",
        r"\b(?:is|keeps|was|been|started) (?:hitting|beating|choking|strangling) (?:me|us)\b",
        r"\b(?:quiero|voy a|ganas de|pienso|tengo ganas de) (?:\w+ )?(?:matar|lastimar|hacerle "
        r"dano|hacer dano|golpear) (?:a )?(?:alguien|el|ella|ellos|mi \w+|todos)\b",
        r"\b(?:matarlos|matarla|matarlo)\b",
        # A threat to kill told as reported speech or a story ("he said he'd kill me if I left",
        # "si lo dejo me mata"), unless the sentence marks it as a joke ("haha").
        r"\b(?:said|says|told me|tells me|swore|swears|texted|wrote|yelled|screamed|threatens|"
        r"threatened|keeps saying|warned me)(?: that)? (?:\w+ ){0,4}?(?:kill|shoot|stab|strangle|"
        r"murder|finish off) (?:me|us|my \w+|the kids?|our \w+)\b" + _NOT_A_JOKE,
        r"\b(?:nobody|no one|noone) (?:\w+ ){0,2}?(?:leaves|leaving|gets out|getting out) "
        r"(?:\w+ ){0,2}?alive\b|\bwith (?:us|me|the kids) (?:still )?in (?:it|there|the house)\b"
        + _NOT_A_JOKE,
        r"\b(?:me|nos) (?:va|van) a matar\b|\bsi (?:\w+ ){0,5}?(?:me|nos) mata\b|\bno "
        r"(?:salgo|salimos|sale) viv[oa]s?\b|\bamenaz\w* (?:\w+ )?con matar\w*" + _NOT_A_JOKE,
    ),
    examples=(
        "I'm going to hurt my roommate, I can't control it",
        "I feel like I might hurt my baby",
        "i want to hurt somebody really bad right now",
        "my husband is threatening to kill me",
        "my ex texted that he'd kill me if I went to the police",
        "he smashed my phone and said nobody leaves this house alive",
        "mi pareja dice que me va a matar si llamo a la policía",
        "si lo dejo me mata, eso me dijo anoche",
    ),
    counter_examples=(
        "I'm worried the medicine I take will hurt my baby",
        "I would never hurt my baby but I'm exhausted",
        "I hurt my back at work",
        "He said he'd kill me if I ate the last slice of cake, haha",
        "este dolor de cabeza me mata",
        "Years ago my ex threatened me but I'm safe now",
    ),
    instructions=say.HARM_TO_OTHERS,
)

SEXUAL_ASSAULT = Rule(
    id="emergency.sexual_assault",
    level=EMERGENCY,
    category="harm_to_others",
    title="A sexual assault that has just happened",
    rationale=(
        "After a recent sexual assault, emergency care treats injuries, offers medicines that "
        "prevent HIV and pregnancy (they work best within hours, and only up to 72 hours) and "
        "collects evidence before a shower; the person may still be near the attacker. An "
        "assault long past is for the care team (testing, counselling), not 911."
    ),
    patterns=(
        r"\b(?:i|she|he|they|we|my \w+|someone|somebody|a \w+|he|they) (?:\w+ )?(?:was|were|got|"
        r"been|just got|has been|have been) (?:\w+ )?(?:raped|sexually (?:assaulted|abused)|"
        r"molested|assaulted sexually)\b",
        r"\b(?:raped|sexually assaulted|molested) (?:me|her|him|us|my \w+)\b",
        r"\b(?:forced|made) (?:me|her|him) (?:to )?have sex\b|\brape kit\b",
        r"\b(?:me|la|lo|nos) violaron\b|\bme violo\b|\b(?:abusaron|abuso) (?:sexualmente )?de "
        r"(?:mi|ella|el)\b|\bme (?:forzo|obligo) a tener relaciones\b",
    ),
    examples=(
        "I was raped about an hour ago at a party and I haven't showered",
        "me violaron anoche y tengo mucho dolor",
        "my roommate came home crying, she says a guy from the bar sexually assaulted her tonight",
    ),
    counter_examples=(
        "I was sexually assaulted in college years ago and I'm doing okay, is therapy covered?",
        "what should someone do after a sexual assault? it's for a training at work",
    ),
    instructions=say.HARM_TO_OTHERS,
    education_lowerable=True,
)
