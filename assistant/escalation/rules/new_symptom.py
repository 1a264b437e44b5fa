"""New or worsening symptoms of the patient's own (urgent)."""

from __future__ import annotations

from . import instructions as say
from .base import URGENT, Rule
from .vocabulary import (
    PERSONAL,
)

SYMPTOMS = (
    r"\b(?:pain|pains|painful|hurts?|hurting|ache|aches|aching|achy|sore|soreness|swollen|"
    r"swelling|swell|swells|rash|hives|itch\w*|fever|feverish|chills|vomit\w*|throwing up|threw "
    r"up|puking|nause\w*|diarrh\w*|constipat\w*|dizz\w*|lightheaded|light headed|vertigo|head "
    r"?aches?|migraines?|cough\w*|wheez\w*|short of breath|shortness of breath|breathless|winded|"
    r"numb\w*|tingl\w*|weak|weakness|fatigue|exhausted|tired all the time|bleed\w*|blood in|"
    r"bruis\w*|lump|lumps|discharge|burning|burns when|palpitation\w*|heart (?:\w+ )?(?:racing|"
    r"pounding|skipping|fluttering|flutters)|skipp\w* beats?|faint\w*|passed out|blurr\w*|double "
    r"vision|vision (?:\w+ )?(?:changes?|loss|problems?|blurry|worse)|confus\w*|infect\w*|oozing"
    r"|pus|redness|red and|warm to the touch|jaundice|yellow (?:skin|eyes)|cramp\w*|spotting|"
    r"insomnia|cant sleep|seizure|earache|toothache|bloat\w*|heartburn|reflux|stiff\w*|spasm\w*|"
    r"sprain\w*|fracture\w*|injur\w*|wound|incision|worse|worsening|wont go away|not going away|"
    r"not getting better|not improving|spreading|weight loss|losing weight|night sweats|angina|"
    r"drainage|(?:toe|toes|foot|feet|finger|fingers|leg|skin|nail|nails) (?:is |are |turned |"
    r"turning |looks |has gone |went )?(?:black|blue|purple|dark|pale|cold|numb)|"
    r"urine (?:\w+ ){0,2}?(?:dark|cloudy|brown|red|pink|foamy|smell\w*)|dark urine|"
    r"smells? (?:bad|foul|funny|weird)|foul smell\w*|"
    r"dolor|dolores|duele|duelen|hinchad\w*|hinchazon|fiebre|tos|vomit\w*|diarrea|mare\w*|"
    r"sarpullido|erupcion|ronchas|comezon|picazon|ardor|arde|sangr\w*|entumid\w*|hormigueo|"
    r"debil\w*|cansad\w*|nausea\w*|escalofrios|bulto|infeccion|herida|pus|peor|empeora\w*|"
    r"douleur|fievre|dor|febre|nose ?bleeds?|"
    # acute illnesses a patient reports having (chronic conditions are not symptoms)
    r"flu\b(?! shots?| vaccines?| season| jab)|uti|urinary tract infection|bladder infection|"
    r"kidney infection|strep(?: throat)?|pneumonia|bronchitis|sinus infection|ear infection|"
    r"pink eye|shingles\b(?! vaccines?| shots?)|covid\b(?! shots?| vaccines?| boosters?)|"
    r"cellulitis|gout flare|gripe|infeccion urinaria)\b"
)
NEW_SYMPTOM = Rule(
    id="urgent.new_symptom",
    level=URGENT,
    category="new_symptom",
    title="A new, ongoing or worsening symptom",
    rationale=(
        "A symptom the patient or someone close has now, or one that is getting worse, needs "
        "a clinician's judgement with the record at hand (a swollen leg can be a clot, a cough "
        "getting worse can be pneumonia). The knowledge base can explain conditions in "
        "general; it must not be the answer to 'this is happening to me'."
    ),
    patterns=(SYMPTOMS,),
    # Someone it is happening to, or a duration: "just a bad cough for 10 days".
    requires=(
        PERSONAL,
        r"\bfor (?:the (?:last|past) )?(?:\d+|a|an|one|two|three|four|five|few|several|couple)"
        r" (?:\w+ )?(?:days?|weeks?|hours?|months?)\b|\bsince (?:yesterday|last|this|monday|"
        r"tuesday|wednesday|thursday|friday|saturday|sunday)\b|\bdesde (?:hace|ayer)\b",
        # "it's been 3 weeks", "3 days now", "won't go away": a duration said another way.
        r"\b(?:its|it is|it has|has|have) been (?:\w+ )?(?:\d+|a|an|one|two|three|four|five|few|"
        r"several|couple) (?:\w+ )?(?:days?|weeks?|hours?|months?)\b|\b\d+ (?:days?|weeks?|"
        r"months?) now\b|\b(?:wont|doesnt|will not) go away\b|\bkeeps? coming back\b",
    ),
    examples=(
        "my leg has been swollen for 3 days",
        "my cough is getting worse",
        "I've had a headache every day for a week",
        "tengo tos desde hace dos semanas y cada vez está peor",
        "my knee is swolen and hot",
        "no fever, just a bad cough for 10 days",
        "this rash wont go away, its been 2 weeks",
        "my urine is dark and smells bad",
        "I think I have the flu",
        "I keep getting nosebleeds",
        "my toe is black",
    ),
    counter_examples=(
        "what are the symptoms of pneumonia?",
        "how do you treat a sprained ankle?",
        "I don't have any symptoms, I'd just like to know what causes high blood pressure",
        "my friend had a seizure last year, how common is epilepsy?",
        "I have asthma, should I get a flu shot?",
        "how do I know if I have the flu or a cold?",
    ),
    instructions=say.URGENT,
    education_lowerable=True,
    past_history_exempt=True,
)
