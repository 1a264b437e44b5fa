"""Self-harm and suicide: intent, plan, means at hand, or an act already done (988 and 911)."""

from __future__ import annotations

import re

from assistant.escalation.normalise import Text

from . import instructions as say
from .base import EMERGENCY, Rule
from .vocabulary import (
    G2,
    SELF,
)

# --- Rules ----------------------------------------------------------------------------------------
# "I'm not suicidal, but I've been really depressed": the writer has answered the question a
# nurse would ask first. Word similarity reads the denied words as the thing itself, so a
# classifier may not turn such a message into a 911 call (the rules still may, on a red flag).
_INTENT_DENIED = re.compile(
    r"\b(?:(?:im|i am|i m) not (?:suicidal|going to (?:hurt|harm|kill) myself)|not suicidal|"
    r"(?:no|zero|not having|dont have|never had|without) (?:\w+ ){0,2}?(?:thoughts?|plans?|"
    r"intent\w*|urges?) (?:of|about|to) (?:hurting|harming|killing|hurt|harm|kill|ending|end) "
    r"(?:myself|my life|it)|(?:i )?(?:dont|do not) want to (?:die|hurt myself|kill myself|end my "
    r"life)|(?:i )?would never (?:hurt|harm|kill) myself|no (?:quiero|pienso) (?:morir\w*|"
    r"hacerme dano|matarme|suicidarme)|no tengo (?:\w+ )?(?:pensamientos|ideas|intencion\w*) de "
    r"(?:hacerme dano|matarme|suicid\w*|morir\w*))\b"
)


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
    denied_by=_INTENT_DENIED,
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
    denied_by=_INTENT_DENIED,
    education_lowerable=True,
)

FAREWELL = Rule(
    id="emergency.farewell",
    level=EMERGENCY,
    category="self_harm",
    title="A farewell: a time after which the writer will not be there, with affairs settled",
    rationale=(
        "Indirect signs of intent count as intent (taxonomy `self_harm`, resting on MedlinePlus "
        "'If someone talks about suicide, take it seriously'): goodbyes and letters, giving away "
        "possessions, settling affairs, a chosen time. Either alone is often innocent (a move, a "
        "holiday, a will before surgery), so the rule needs both in one message: a statement that "
        "the writer will not be there or need anything after a time ('I won't be here by then', "
        "'you won't hear from me after tonight', 'ya no voy a estar') and a settled decision or "
        "goodbye ('I've decided', 'my affairs are in order', 'I gave away my cat', 'me despedí')."
    ),
    patterns=(
        r"\b(?:wont|will not|am not going to) be (?:here|around|alive|there)\b",
        r"\b(?:wont|will not) (?:be )?(?:need|needing|take|taking|use|using) (?:\w+ ){0,3}?"
        r"(?:anymore|any more|again|after (?:tonight|today|tomorrow|this \w+|the weekend"
        r"|\w+day))\b",
        r"\b(?:you|they|anyone|nobody|no one) (?:wont|will not|will never) (?:hear from|see"
        r"|have to (?:deal with|worry about)) me (?:again|anymore|after|much longer)\b",
        r"\b(?:before|after|once) i (?:go|am gone|leave) (?:tonight|today|tomorrow|for good)\b",
        r"\b(?:finally|forever) (?:get to |going to |gonna )?(?:rest|sleep|be free|be at peace)\b",
        r"\b(?:they|you|she|he|everyone|my \w+) will understand why\b",
        r"\b(?:it|this|everything) ends (?:tonight|today|tomorrow|this \w+|on \w+day)\b",
        r"\b(?:was|is)(?:nt| not) (?:\w+ )?(?:her|his|your|their|anyones|anybodys) fault\b",
        r"\b(?:last time|never again) (?:\w+ ){0,2}?(?:bother|write|message|contact) "
        r"(?:you|anyone)",
        r"\btalk me out of it\b",
        r"\btake care of (?:my \w+|mom|dad|the kids|everyone|them) for me\b",
        # Spanish
        r"\b(?:ya )?no (?:\w+ )?(?:voy|vamos) a (?:estar|seguir aqui|necesitar\w*)\b",
        r"\b(?:ya )?no (?:van|vas) a saber (?:mas )?de mi\b",
        r"\b(?:esta|es) (?:es )?mi despedida\b",
        r"\bcuiden (?:a \w+|de \w+) por mi\b",
    ),
    # A settled decision or a goodbye, in a message that gives no everyday reason for being away
    # (a move, a holiday, a new job, a surgery): one pattern over the whole message.
    requires=(
        r"^(?!.*\b(?:vacation|holiday|trip|travel\w*|moving|relocat\w*|retir\w*|switch\w*"
        r"|transfer\w*|new job|job (?:in|at|offer)|surgery|procedure|deploy\w*|mudo|mudanza"
        r"|mudamos|vacaciones|viaje|cirugia|jubil\w*|me cambio)\b).*?(?:"
        r"\bi (?:have |am |had )?(?:already )?(?:decided|made (?:my|the|a) (?:choice|decision)"
        r"|made (?:my )?peace|at peace)\b|\bmade up my mind\b|\bmy mind is made up\b"
        r"|\btaking care of it myself\b"
        r"|\b(?:said|saying|say) (?:my |our )?goodbyes?\b|\bgoodbye\b|\bfarewell\b"
        r"|\b(?:affairs|everything|things|it all|the bills|my bills) (?:is |are )?(?:all )?(?:in "
        r"order|arranged|sorted|taken care of|settled|planned|paid)\b"
        r"|\b(?:wrote|written|writing|left) (?:\w+ ){0,3}?(?:letters?|notes?)\b|\bletters are\b"
        r"|\b(?:gave|given|giving) (?:away )?(?:\w+ ){0,2}?(?:cat|dog|pets?|things|stuff"
        r"|belongings|watch|tools)\b|\b(?:gave|giving) away\b"
        r"|\bsorry (?:for|about) (?:all )?(?:the trouble|everything|being a burden)\b"
        r"|\btell (?:my \w+|them|everyone|her|him) (?:that )?i love\b|\blove you all\b"
        r"|\bthank (?:you|u) for everything\b"
        r"|\b(?:ya )?(?:lo )?decidi\b|\btome (?:mi|la|una) decision\b|\bme despedi\b"
        r"|\bdeje todo (?:arreglado|listo)\b|\bregale\b|\bcartas? (?:para|a) (?:mi|mis)\b"
        r"|\bdiganle (?:a \w+ )?que (?:la|lo|los|las) quiero\b"
        r"|\bperdon por (?:todo|las molestias)\b)",
    ),
    examples=(
        "Don't bother rescheduling my March appointment. I won't be here by then, I've decided.",
        "My affairs are in order and I've said my goodbyes. I wanted to thank you before I go "
        "tonight.",
        "cancel my refills. i wont be taking anything anymore after this weekend, ive made peace "
        "with it",
        "I wrote my kids a letter each. Tomorrow they will understand why.",
        "No me den otra cita. Ya no la voy a necesitar después del viernes, ya lo decidí.",
    ),
    counter_examples=(
        "I won't be around next week, I'm on vacation. Can we move my appointment?",
        "Please cancel my refill, my doctor stopped it. I won't need it anymore.",
        "Everything is arranged for my surgery on Friday. What time should I arrive?",
        "Esta es mi despedida de la clínica, me cambio de seguro el próximo mes.",
        "This is my last message from this account, I'm switching insurance. Thank you for "
        "everything!",
        "My dad decided to retire, so he won't be around the office anymore.",
        "I've decided to take the job in Denver, so I won't be here after June. Goodbye!",
    ),
    instructions=say.SELF_HARM,
    education_lowerable=True,
)


def intent_denied(text: Text) -> bool:
    """True when the writer says they have no thought or plan of harming themselves."""
    return bool(_INTENT_DENIED.search(text.norm))
