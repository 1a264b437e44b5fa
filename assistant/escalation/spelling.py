"""The words the escalation gate knows, and its corrector of misspelled key words (pure).

- `KEY_WORDS`: the words whose miss would cost most, in priority order; a token that is not a known
  word and is one edit (insertion, deletion, substitution or swap of two neighbours) away from a key
  word of five letters or more becomes that key word ("stroek" -> "stroke", "thoughs" ->
  "thoughts"); a four-letter key word only accepts a swap ("pian" -> "pain").
- `PROTECTED_WORDS`: real words one edit away from a key word ("cheat", "flood", "threat"), never
  corrected.
- `EXPANSIONS`: contractions and chat slang to one canonical spelling ("im" -> "i am", "kms" ->
  "kill myself").

`cleaning.py` (spelling tricks) and `normalise.py` (the word-level `Text`) both read these.
"""

from __future__ import annotations

from functools import lru_cache


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a word-list literal, in order."""
    return tuple(text.split())


# --- Key words the fuzzy matcher may correct towards ---------------------------------------------
# Ordered by priority: when a typo is one edit from two key words, the earlier one wins, so the
# list starts with the words whose miss would cost most.
KEY_WORDS: tuple[str, ...] = words(
    # breathing, chest, heart
    "breath breathe breathing chest pain pains pressure tightness heart attack crushing "
    "squeezing sweating racing pounding "
    # stroke
    "stroke strokes slurred slurring drooping droopy crooked numbness weakness sudden "
    "suddenly vision headache headaches confused confusion garbled jumbled speech talking "
    # self-harm
    "suicide suicidal thoughts myself killing unalive unaliving thinking kill die dying life "
    "alive living hopeless depressed anymore "
    # overdose, poisoning, allergy
    "overdose overdosed overdosing swallowed pills tablets bottle poison poisoned poisoning "
    "bleach battery allergic reaction anaphylaxis throat swelling swollen tongue closing "
    "tightening epipen wheezing inhaler asthma gasping choking oxygen "
    # bleeding, pregnancy, seizures, consciousness
    "bleeding blood stopping vomiting pregnant pregnancy breastfeeding seizure seizures "
    "seizing convulsing unconscious unresponsive fainted collapsed passed breathing "
    # diabetes and readings
    "sugar sugars glucose insulin potassium sodium creatinine cholesterol hemoglobin results "
    # medicines and dosing
    "medicine medicines medication medications should increase decrease double dose doses "
    "dosage forgot missed skipped stopped stop taking refill interact alcohol metformin "
    "lisinopril ibuprofen tylenol acetaminophen warfarin atorvastatin levothyroxine "
    "prednisone oxycodone sertraline amoxicillin amlodipine losartan metoprolol gabapentin "
    "eliquis xarelto ozempic benadryl antibiotic antibiotics antidepressant statin "
    # symptoms and people
    "fever swelling dizzy diarrhea nausea vomit cough coughing worse worsening infection rash "
    "numb tingling lump nurse doctor person human someone emergency husband daughter grandma "
    "grandpa mother father "
    # Spanish
    "pecho dolor respirar garganta sangrado sangrando embarazada pastillas matarme morir "
    "suicidarme convulsion desmayo inconsciente azucar insulina enfermera medico hablar dosis "
    "olvide hinchada hinchado fiebre mareos vivir cabeza "
)

# Real words one edit away from a key word: a patient who types them means them.
PROTECTED_WORDS: frozenset[str] = frozenset(
    words(
        """
        alice alike attach attacks baking batter battle beach billing bills blending blond
        bloody bloom blurred bother bottled bottles bracing breach breadth breathed breaths
        breeding brood brushing calor cheat chess chests clive collapse collapses color confuse
        cooked cooking couch crashing crest curse daughters decreased decreases dedication
        diving doctors does doing dolar domes donor door doris doubled doubles dough
        dropping drying dwelling echo emergence ever facing farther fathers feather fewer fibre
        filling fills flood forget founding fumbled gabled gains gaping gather gills giving
        gough grasping hear heard hears hearst hearth hearts heat hecho hills hissed homeless
        horse humana humane humano humanos humans husbands increased increases infections
        inhaled injection killings kills kissed laughter leach lecho lever liking lining live
        loses losing lough loving lying making marcos marea mares mediation medici medio
        meditation messed mexico milling mills misses moral mores mori mourir morse moses mothers
        mumbled never norse noses nurses olive other pacing paint painted paints pairs passes
        paused pearson pechos persona persons piles pill pins pissed plains podium polls poses
        pressured pressures prison pulls purse raging rains rather rating reactions respirer
        result roses rough rounding rumbled rushing sagrado satin seating selling shipped
        shopping shouldn sipped skipper slipped smelling sounding spelling spurred stain stalin
        stalking staten static stating station stepped stepping stoke stokes stomped strike
        strikes strode stroked swearing tables tablet tainted techo thanking thought threat
        tongues topped topping tough tracing tumbled tying valor visions vivid waking walking
        wheeling willing wills wore worst wounding wreath
        """
    )
)

# Words the corrector never touches: the key words themselves and the protected ones.
KNOWN_WORDS: frozenset[str] = frozenset(KEY_WORDS) | PROTECTED_WORDS

# Whole-token rewrites: chat slang and contractions to one canonical spelling. Tokens that had an
# apostrophe in the message are looked up with it ("i'll" -> "i will", but "ill" means sick).
# Written slang=expansion, "_" for a space inside the expansion.
EXPANSIONS: dict[str, str] = {
    slang: expansion.replace("_", " ")
    for slang, _, expansion in (
        pair.partition("=")
        for pair in words(
            """
            i'm=i_am  im=i_am  i've=i_have  ive=i_have  i'd=i_would  i'll=i_will  he's=he_is
            hes=he_is  she's=she_is  shes=she_is  it's=it_is  that's=that_is  thats=that_is
            what's=what_is  whats=what_is  wats=what_is  there's=there_is  theres=there_is
            who's=who_is  we're=we_are  they're=they_are  you're=you_are  he'll=he_will
            she'll=she_will  we've=we_have  they've=they_have  you've=you_have  let's=let_us
            y'all=you_all  where's=where_is  here's=here_is  can't=cant  cannot=cant  won't=wont
            don't=dont  doesn't=doesnt  didn't=didnt  isn't=isnt  aren't=arent  wasn't=wasnt
            weren't=werent  haven't=havent  hasn't=hasnt  hadn't=hadnt  couldn't=couldnt
            wouldn't=wouldnt  shouldn't=shouldnt  ain't=aint  idk=i_dont_know  dunno=dont_know
            kms=kill_myself  kys=kill_yourself  wanna=want_to  gonna=going_to  gotta=got_to
            tryna=trying_to  hafta=have_to  u=you  ur=your  r=are  ya=you  pls=please  plz=please
            bc=because  cuz=because  coz=because  bp=blood_pressure  hrs=hours  hr=hour
            mins=minutes  min=minutes  wks=weeks  yrs=years  yr=year  dr=doctor  doc=doctor
            ppl=people  abt=about  tho=though  thru=through  alot=a_lot  hubby=husband  hubs=husband
            cnt=cant  cant't=cant  dnt=dont  wnt=want  cud=could
            wifey=wife  bf=boyfriend  gf=girlfriend  od=overdose  od'd=overdosed  od'ed=overdosed
            oded=overdosed  odd'd=overdosed  prolly=probably  rly=really  srsly=seriously
            thinkin=thinking  runnin=running  gettin=getting  havin=having  feelin=feeling
            goin=going  nothin=nothing  somethin=something  smokin=smoking  breathin=breathing
            bleedin=bleeding  dyin=dying  hurtin=hurting  q=que  xq=porque  pq=porque  tmb=tambien
            ke=que  chestpain=chest_pain  chestpains=chest_pains  heartattack=heart_attack
            cantbreathe=cant_breathe
            """
        )
    )
}


def _osa_distance_at_most_one(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or neighbour swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    while i < min(la, lb) and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    if la > lb:
        return a[i + 1 :] == b[i:]
    return a[i:] == b[i + 1 :]


def _is_swap(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and (a[diff[1]] == b[diff[0]])
    )


@lru_cache(maxsize=8192)
def correct_spelling(word: str) -> str:
    """The key word a misspelled token stands for, or the token itself (deterministic)."""
    if len(word) < 4 or word in KNOWN_WORDS or not word.isalpha():
        return word
    for key in KEY_WORDS:  # priority order decides ties
        if abs(len(key) - len(word)) > 1:
            continue
        if len(key) >= 5 and _osa_distance_at_most_one(word, key):
            return key
        if len(key) == 4 and _is_swap(word, key):
            return key
    return word
