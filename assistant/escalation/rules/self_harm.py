"""Self-harm and suicide: intent, plan, means at hand, or an act already done (988 and 911)."""

from __future__ import annotations

from . import instructions as say
from .base import EMERGENCY, Rule
from .vocabulary import (
    G2,
    SELF,
)

# --- Rules ----------------------------------------------------------------------------------------
SELF_HARM = Rule(
    id="emergency.self_harm",
    level=EMERGENCY,
    category="self_harm",
    title="Suicidal thoughts, intent, plan or self-harm",
    rationale=(
        "Any statement of wanting to die, a plan, means at hand or self-injury is a crisis: the "
        "person needs the 988 Lifeline (911 if in danger) now and a clinician must reach out "
        "today. Passive wishes ('I don't want to wake up', 'no reason to live') carry real risk "
        "and are included, as is the slang many patients use ('kms', 'unalive'). Never lowered "
        "by question framing: every pattern is about a person, not a topic."
    ),
    patterns=(
        rf"\b(?:kill|killing|hang|hanging|shoot|shooting|drown|drowning|off|offing) {SELF}\b",
        r"\bunaliv\w*\b",
        r"\b(?:end|ending|ended|take|taking|took) (?:my|my own) li(?:fe|ves)\b"
        r"(?! back| into| in (?:my|your) hands)",
        r"\bend(?:ing)? (?:it all|everything|things|it tonight|it today)\b",
        r"\b(?:nothing|no one|nobody|noone) (?:left )?to live for\b",
        r"\b(?:nobody|no one|noone) (?:would|will|is going to) (?:even )?(?:miss me|care if i"
        r" (?:die|died|was gone|am gone))\b",
        r"\b(?:dont think i should|shouldnt|dont deserve to) (?:be alive|be here|live|exist)\b",
        r"\b(?:jump|jumping) (?:off|from|in front of) (?:a |the |this |my )?(?:bridge|building|"
        r"roof|cliff|balcony|train|car|truck|overpass)\b|\b(?:tirarme|aventarme) (?:de|a|del) ",
        r"\b(?:want|wanting|going|plan|planning|ready|thinking about|think about|decided) "
        r"(?:to )?end it\b",
        r"\b(?:want|wanted|wanting|wish|ready|plan|planning|tempted|deserve|rather|just "
        r"want) (?:to )?(?:die|be dead|not be alive|not exist|not be here|disappear forever|"
        r"sleep forever|never wake up)\b(?! (?:my |her |his |their )?hair)",
        r"\bwish (?:i|i would) (?:was|were|had|could) (?:\w+ )?(?:dead|died|gone|disappear)\w*",
        r"\b(?:sleep|sleeping) forever\b|\bnever wake up\b",
        r"\b(?:dont|no longer|dont really|really dont) (?:want|wish|feel like) to (?:live|be "
        r"alive|be here|exist|wake up|go on|keep going|keep living|be around)\b",
        r"\bno (?:reason|point|purpose) (?:\w+ ){0,2}?(?:to live|living|in living|to go on|going "
        r"on|to keep going|to be alive|in life|to exist)\b",
        r"\b(?:done with|tired of|sick of|over) (?:life|living|being alive|it all|everything"
        r" and everyone)\b|\b(?:life|it) (?:isnt|is not|aint) worth (?:living|it anymore)\b"
        r"|\bnot worth living\b",
        r"\b(?:dont|cant|no longer) see (?:the |a |any )?(?:point|reason) (?:in |of |to )?"
        r"(?:living|life|going on|being alive|being here)\b",
        r"\b(?:better off|be better) (?:\w+ ){0,2}?(?:without me|if i (?:was|were|am) "
        r"(?:dead|gone)|dead)\b",
        r"\b(?:i am|feel|feeling|been|being|having|have|get|getting|had|thoughts? of|thinking "
        r"(?:about|of)|think about|considering|contemplating|attempt\w*|commit|committing|"
        r"planning) (?:\w+ ){0,2}?suicid\w*",
        rf"\b(?:cutting|burning|harming|starving) {SELF}\b",
        rf"\bcut {SELF} (?:again|on purpose|deliberately|deep)\b|\bcut (?:my|his|her) wrists?\b"
        r"|\bslit\w* (?:my |his |her )?wrists?\b",
        rf"\b(?:want|going|urge|urges|thinking about|think about|might|afraid i will|scared i "
        rf"will|tempted|feel like) {G2}(?:to )?(?:hurt|harm|cut|burn|kill) {SELF}\b",
        r"\b(?:been|am|started|start|keep|urge to|urges to|relapsed) (?:\w+ ){0,2}?self ?harm\w*",
        r"\b(?:bought|buying|got|have|wrote|writing|written|left|leaving) (?:\w+ ){0,2}?(?:a rope|"
        r"the rope|a noose|goodbye (?:letters?|notes?)|suicide (?:letters?|notes?))\b",
        r"\b(?:pills|meds|gun) (?:\w+ )?(?:ready|saved up|lined up|stockpiled)\b"
        r"|\bstockpil\w* (?:\w+ ){0,2}?(?:pills|meds)\b",
        r"\b(?:wont|will not) be (?:here|around) (?:\w+ )?(?:tomorrow|much longer|anymore|for "
        r"long)\b|\bthis is (?:my )?goodbye\b|\bsaying goodbye (?:to everyone|forever)\b",
        r"\bkill (?:him|her|them|your)sel(?:f|ves)\b",
        r"\b(?:end|take|ending|taking) (?:his|her|their) (?:own )?li(?:fe|ves)\b",
        # Spanish
        r"\b(?:quiero|quisiera|voy a|pienso|pensando en|ganas de|deseo|prefiero|me gustaria) "
        r"(?:\w+ )?(?:morir\w*|matarme|suicidarme|quitarme la vida|desaparecer|acabar con "
        r"(?:todo|mi vida)|estar muert[oa]|dejar de vivir)\b",
        r"\bme quiero (?:morir|matar|suicidar)\b|\bme voy a (?:matar|suicidar)\b",
        r"\b(?:ya )?no quiero (?:vivir|seguir viviendo|seguir aqui|estar aqui|despertar|seguir)\b",
        r"\b(?:matarme|suicidarme|quitarme la vida|hacerme dano|cortarme|me corto|me estoy "
        r"cortando)\b",
        r"\bno (?:tengo|hay|veo) (?:\w+ )?(?:razon|razones|motivo|motivos|sentido) (?:para|de|en)"
        r" (?:vivir|seguir)\b",
        r"\bmejor (?:\w+ ){0,2}?(?:sin mi|muert[oa])\b",
        r"\bpensamientos (?:suicidas|de (?:muerte|suicidio|matarme))\b",
        # French, Portuguese
        r"\b(?:je veux|envie de) (?:mourir|me suicider|me tuer|en finir)\b|\bme suicider\b",
        r"\b(?:quero|vou) (?:morrer|me matar|me suicidar)\b|\bme matar\b",
    ),
    examples=(
        "I'm thinking about killing myself",
        "i just want to end it all",
        "honestly i want to kms",
        "thinking about unaliving myself",
        "there's no reason to live anymore",
        "I'm done with life",
        "I've got nothing to live for",
        "nobody would miss me if I was gone",
        "gonna jump off a bridge",
        "I don't see the point of living anymore",
        "I don't want to wake up tomorrow",
        "everyone would be better off without me",
        "i have suicidal thoughs again",
        "I've been cutting myself again",
        "I bought a rope and wrote goodbye letters",
        "quiero morir",
        "estoy pensando en matarme",
        "ya no quiero vivir",
        "my son says he wants to kill himself",
    ),
    counter_examples=(
        "this headache is killing me",
        "I feel like I'm going to die, my chest hurts so much",
        "I want to take my life back from diabetes",
        "I don't want to die of a heart attack like my dad, what should I eat?",
        "I want to die my hair, is it safe while pregnant?",
        "I hurt myself lifting boxes",
        "what are the warning signs of suicide?",
        "What are the signs that someone might be thinking about suicide?",
    ),
    instructions=say.SELF_HARM,
    # A question about warning signs with nobody named is education; one word of anyone
    # living it ("I", "my son", "right now") keeps the match.
    education_lowerable=True,
)

SUICIDE_MENTION = Rule(
    id="emergency.suicide_mention",
    level=EMERGENCY,
    category="self_harm",
    title="Suicide or self-harm mentioned",
    rationale=(
        "The words suicide, suicidal or self-harm in a patient's message, outside a clearly "
        "general question, most often mean the patient or someone close is at risk now: "
        "'my friend is suicidal', 'I need the suicide hotline'. Giving 988 costs little; missing "
        "a crisis costs a life. A general question ('warning signs of suicide in teenagers') "
        "with no lived experience is answered from the knowledge base instead."
    ),
    patterns=(
        r"\bsuicid\w*",
        r"\bself ?(?:harm\w*|injur\w*)\b",
        r"\b988\b",
        r"\bcrisis (?:line|hotline)\b",
    ),
    examples=(
        "my friend is suicidal and won't answer her phone",
        "I need the suicide hotline",
        "feeling suicidal tonight",
    ),
    counter_examples=(
        "what are the warning signs of suicide in teenagers?",
        "I'm not suicidal, just tired of being sick",
    ),
    instructions=say.SELF_HARM,
    education_lowerable=True,
)
