"""Emergency rules: the patient is told to call 911 / 988 / Poison Control now.

Patterns run over `Text.norm` (see escalation_lexicon): lower case, no accents, contractions
expanded ("i am", "he is", "cant", "dont", "wont"), possessive 's dropped ("wife face"),
"." and "," as boundary tokens. `gap(n)` allows up to n words inside one clause.
The rules are ordered: when several emergency rules fire, the first names the decision and the
instructions of all of them are shown (an overdose taken to die gets 988 *and* Poison Control).
"""

from __future__ import annotations

import re

from assistant.escalation_lexicon import DRUG_NAMES, FAMILY, PREGNANT, Text, gap, words

from . import instructions as say
from .base import EMERGENCY, Rule, Span

G1, G2, G3, G4, G5 = gap(1), gap(2), gap(3), gap(4), gap(5)
SELF = r"(?:my ?self|myself)"
PILLS = (
    r"(?:pills?|tablets?|capsules?|caps|tabs|meds|medications?|medicines?|doses?|bottles?|"
    r"vitamins|gummies|edibles?|insulin|" + DRUG_NAMES + r")"
)
CHILD = (
    r"(?:toddler|baby|son|daughter|kid|kids|child|grandson|granddaughter|niece|nephew|infant|"
    r"boy|girl|dog|puppy|cat|hijo|hija|bebe|nino|nina)"
)
# A word that may sit between a subject and a violent verb, but never a denial or a medicine.
_VIOLENCE_GAP = r"(?:(?!(?:take|taking|took|never|not|dont|wont|wouldnt|didnt|cant|couldnt)\b)\w+ )"
VIOLENT_OBJECT = (
    r"(?:him|her|them|someone|somebody|anyone|anybody|everyone|everybody|people|"
    r"(?:my |the |a |that |this |some |our )(?:\w+ )?(?:baby|babies|kids?|child|children|son|"
    r"daughter|husband|wife|partner|boyfriend|girlfriend|roommate|neighbou?r|boss|coworker|mom|"
    r"mother|dad|father|family|brother|sister|teacher|classmates?|ex|newborn|toddler))"
)
CRISIS_WORDS = (
    r"(?:confus(?:ed|ion)(?! about| by| why| on| as to| whether| if| with)|cant think|"
    r"not making sense|passing out|passed out|unconscious|wont wake|"
    r"hard to wake|seizure|slurr\w*|cant swallow|cant stay awake|acting drunk|confundid\w*|"
    r"desmay\w*|no despierta)"
)


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


def _glucose_critical(text: Text) -> list[Span]:
    readings = glucose_readings(text)
    crisis = re.search(
        CRISIS_WORDS + r"|vomit\w*|throwing up|threw up|ketones|fruity|breathing fast|"
        r"very thirsty|vomitando",
        text.norm,
    )
    spans: list[Span] = []
    for span, mg in readings:
        # 20-33 reads as dangerously low in mg/dL and dangerously high in mmol/L: both are.
        if mg < 54 or mg >= 600 or (mg >= 400 and crisis):
            spans.append(span)
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
    ),
    instructions=say.SELF_HARM,
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
    ),
    examples=(
        "I'm going to hurt my roommate, I can't control it",
        "I feel like I might hurt my baby",
        "i want to hurt somebody really bad right now",
        "my husband is threatening to kill me",
    ),
    counter_examples=(
        "I'm worried the medicine I take will hurt my baby",
        "I would never hurt my baby but I'm exhausted",
        "I hurt my back at work",
    ),
    instructions=say.HARM_TO_OTHERS,
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
        r"|button batter(?:y|ies)|batter(?:y|ies)|magnets?|antifreeze|cleaner|cleaning (?:fluid|"
        r"products?|solution|spray)|poison|rat poison|pesticide|insecticide|weed killer|gasoline|"
        r"kerosene|lighter fluid|lamp oil|nicotine|vape juice|e liquid|drain cleaner|ammonia|lye"
        r"|chlorine|dish soap|soap|essential oils?|perfume|nail polish remover|paint thinner|"
        r"windshield (?:washer )?fluid|mothballs?)\b",
        rf"\b(?:took|taken|swallowed|ate|got into) (?:\w+ )?(?:some of )?(?:my |his |her |their )?"
        rf"(?:{FAMILY}|someone elses|somebody elses) {G2}{PILLS}\b",
        r"\b(?:se tomo|me tome|tomo|se comio|se trago|trago) (?:\w+ ){0,3}?(?:pastillas|pildoras|"
        rf"medicinas?|medicamentos?) de (?:mi|su|la|el) {FAMILY}\b",
        r"\b(?:hij[oa]|bebe|nin[oa]) (?:\w+ ){0,2}?(?:se tomo|se comio|se trago|trago|tomo) "
        r"(?:\w+ ){0,3}?(?:pastillas|pildoras|medicinas?|medicamentos?|tabletas|cloro|jabon)\b",
        rf"\b{CHILD} {G2}(?:got into|ate|eaten|swallowed|chewed|drank|got ahold of|got hold of) "
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
        r"veneno|detergente|pila|bateria|insecticida|gasolina)\b",
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
    ),
    counter_examples=(
        "I took 2 tylenol for my headache",
        "I think I have food poisoning",
        "I took 20 units of insulin this morning",
        "how do I get rid of poison ivy?",
        "how much acetaminophen causes an overdose?",
    ),
    instructions=say.OVERDOSE,
    education_lowerable=True,
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

BLOOD_SUGAR = Rule(
    id="emergency.blood_sugar",
    level=EMERGENCY,
    category="blood_sugar",
    title="Dangerously low or high blood sugar",
    rationale=(
        "A glucose under 54 mg/dL (3.0 mmol/L), or low sugar with confusion, drowsiness or "
        "slurred speech, can turn into a seizure or coma; a meter reading 'HI' or 600+, or "
        "400+ with vomiting, confusion or ketones, points to DKA or a hyperosmolar state. Both "
        "need treatment now. Milder readings (54-69, 250-599) are urgent."
    ),
    patterns=(
        r"\b(?:meter|glucometer|monitor|cgm|dexcom|libre|reading) (?:\w+ ){0,2}?(?:says|reads|"
        r"shows|showing|displays|just says) (?:hi|high)\b",
        r"\b(?:sugar|glucose|bg|bs|reading) (?:is |says |reads |shows |just )*hi\b",
        r"\b(?:sugar|sugars|glucose|bg|hypo|azucar|glucosa) (?:\w+ ){0,3}?(?:low|dropping|"
        r"crashing|tanking|bajo|baja|bajando)\b(?=.*\b" + CRISIS_WORDS + r")",
    ),
    finder=_glucose_critical,
    examples=(
        "my sugar is 38 and i feel confused",
        "blood sugar over 500 and I'm throwing up and can't think straight",
        "mi azúcar está en 45",
        "my glucose is 2.4 mmol",
        "my meter says HI",
        "my sugar is HI on the meter",
    ),
    counter_examples=(
        "my blood sugar has been 60 and i feel shaky",
        "what is the normal range for blood sugar?",
        "my sugar has been good for 30 days",
        "sugar 350 this morning and I feel ok",
    ),
    instructions=say.EMERGENCY,
)

DIABETES_MEDICINE_CONFUSION = Rule(
    id="emergency.diabetes_medicine_confusion",
    level=EMERGENCY,
    category="blood_sugar",
    title="Insulin or a sulfonylurea with confusion, drowsiness or passing out",
    rationale=(
        "Someone on insulin or a sulfonylurea who becomes confused, drowsy, slurred or "
        "passes out has severe hypoglycaemia until proven otherwise (or DKA after missed "
        "insulin); glucose or glucagon and 911 now, whatever the meter says."
    ),
    patterns=(r"\b(?:insulin|insulina|glipizide|glyburide|glimepiride|sulfonylureas?)\b",),
    requires=(CRISIS_WORDS,),
    examples=("I took double my insulin by accident and now I'm shaking and confused",),
    counter_examples=("I'm confused about my insulin dose",),
    instructions=say.EMERGENCY,
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
        r"\b(?:head ?aches?|chest|vision|blurr\w*|seeing spots|confus\w*|numb\w*|weak\w*|short of "
        r"breath|cant breathe|nosebleed|dizzy|vomit\w*|dolor de cabeza|vision borrosa|pecho)\b",
    ),
    examples=(
        "my blood pressure is 210/125 and I have a pounding headache",
        "bp 190 over 115 with chest tightness",
    ),
    counter_examples=(
        "my blood pressure is 185/100, no symptoms",
        "my blood pressure has been 165/100 and I have a headache",
    ),
    instructions=say.EMERGENCY,
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

INFANT_FEVER = Rule(
    id="emergency.infant_fever",
    level=EMERGENCY,
    category="infant_fever",
    title="Fever in a baby under 3 months",
    rationale=(
        "A fever (100.4 F / 38 C or more) in a baby younger than 3 months can be the only sign "
        "of a serious infection such as sepsis or meningitis; these babies must be seen now."
    ),
    patterns=(r"\b(?:fever|temp|temperature|fiebre|febrile|feverish)\b",),
    requires=(
        r"\b(?:newborn|neonate|recien nacid[oa]|(?:\d|one|two|three|four|five|six|seven|eight|"
        r"nine|ten|eleven|twelve) (?:weeks?|wks?|days?) old|(?:[0-2]|one|two) (?:months?|mo) old|"
        r"bebe de (?:\d|una|dos|tres|cuatro|cinco|seis|siete|ocho) (?:semanas|dias)|"
        r"(?:bebe|nino|nina|hij[oa]) de (?:1|2|un|uno|dos) mes(?:es)?)\b",
    ),
    examples=(
        "My baby is 6 weeks old and has a fever of 101",
        "newborn with a fever",
        "mi bebé de 1 mes tiene fiebre",
    ),
    counter_examples=(
        "my 4 year old has had a fever of 102",
        "my 6 week old has no fever but is fussy",
    ),
    instructions=say.EMERGENCY,
)

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
    ),
    requires=(r"\b(?:fever|feverish|temperature|temp|fiebre|febrile)\b",),
    examples=(
        "fever 103, stiff neck and the light hurts my eyes",
        "my mom has a fever and is really confused",
    ),
    counter_examples=(
        "I'm confused about my fever medicine dose",
        "stiff neck from sleeping wrong",
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

OTHER_CRITICAL = Rule(
    id="emergency.other_critical",
    level=EMERGENCY,
    category="severe_pain_or_injury",
    title="Worst pain of one's life, sudden testicular pain, rigid belly, major injury",
    rationale=(
        "Some presentations need surgery or resuscitation within hours whatever their cause: "
        "the worst pain of one's life, sudden severe testicular pain (torsion), a board-hard "
        "belly, a stab or gunshot wound, electrocution or near-drowning."
    ),
    patterns=(
        r"\bworst pain (?:\w+ ){0,3}?(?:life|ever)\b",
        r"\bsudden (?:\w+ ){0,2}?(?:testicle|testicular|scrotum|scrotal) pain\b"
        r"|\b(?:testicle|testicular) (?:\w+ ){0,2}?(?:sudden|severe|twisted)\b",
        r"\b(?:rigid|hard as a rock|board like) (?:\w+ )?(?:belly|stomach|abdomen)\b",
        r"\b(?:stabbed|gunshot|electrocuted|drowning|nearly drowned|hit by a car)\b",
    ),
    examples=("worst pain of my life in my stomach", "my son was stabbed"),
    counter_examples=("my back pain is bad but manageable",),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

ASKS_FOR_911 = Rule(
    id="emergency.asks_for_911",
    level=EMERGENCY,
    category="asks_for_emergency",
    title="Asks about calling 911 or an ambulance",
    rationale=(
        "A patient who asks whether to call 911 or says they need an ambulance is in a "
        "situation they judge serious right now; the only safe answer is yes, call."
    ),
    patterns=(
        r"\b(?:call|need|send|get|calling|called|necesito|necesitamos|llamo|llamar|llamen|"
        r"manden|mande) (?:\w+ )?(?:an ambulance|911|paramedics|una ambulancia|al 911)\b",
    ),
    examples=("should I call 911?", "I need an ambulance", "necesito una ambulancia"),
    counter_examples=("when should you call 911 for a fever in general?",),
    instructions=say.EMERGENCY,
    education_lowerable=True,
)

EMERGENCY_RULES: tuple[Rule, ...] = (
    SELF_HARM,
    SUICIDE_MENTION,
    VIOLENCE,
    OVERDOSE,
    ANAPHYLAXIS,
    ALLERGY_WITH_BREATHING,
    BREATHING,
    CHEST_PAIN,
    PALPITATIONS_FAINT,
    STROKE,
    SEIZURE,
    UNRESPONSIVE,
    FAINTING_RED_FLAGS,
    BLEEDING,
    PREGNANCY,
    BLOOD_SUGAR,
    DIABETES_MEDICINE_CONFUSION,
    HYPERTENSIVE,
    HEAD_INJURY,
    INFANT_FEVER,
    MENINGITIS_SEPSIS,
    BLOOD_CLOT_LUNG,
    OTHER_CRITICAL,
    ASKS_FOR_911,
)

__all__ = ["EMERGENCY_RULES", "blood_pressure_readings", "glucose_readings", "oxygen_readings"]
