"""Word classes the rules share: who (a child, a person), what (pills), and the gap helpers.

`gap(n)` allows up to n words inside one clause; patterns run over `Text.norm` (lower case, no
accents, contractions expanded, "." and "," as boundary tokens).
"""

from __future__ import annotations

from assistant.escalation.normalise import (
    DRUG_NAMES,
    gap,
)

G1, G2, G3, G4, G5 = gap(1), gap(2), gap(3), gap(4), gap(5)

SELF = r"(?:my ?self|myself)"
PILLS = (
    r"(?:pills?|tablets?|capsules?|caps|tabs|meds|medications?|medicines?|doses?|bottles?|"
    r"vitamins|gummies|edibles?|insulin|" + DRUG_NAMES + r")"
)
# A child named by a word or by an age ("my 2 year old", "mi niño de 3 años").
CHILD = (
    r"(?:toddler|baby|son|daughter|kid|kids|child|grandson|granddaughter|niece|nephew|infant|"
    r"boy|girl|dog|puppy|cat|hijo|hija|bebe|nino|nina|\d+ (?:, )?(?:year|yr|month|mo|week|wk)"
    r" (?:, )?olds?)"
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
PERSONAL = (
    r"\b(?:i|my|me|mine|myself|we|our|us|he|she|his|her|him|je|moi|mon|ma|eu|meu|minha|"
    # Spanish drops the pronoun: first-person verbs say who it is about.
    r"mi|mis|yo|mio|tengo|estoy|quiero|puedo|debo|necesito|tomo|tome|olvide|deje|siento|"
    r"sigo|llevo|empece)\b"
    # Chat drops it too: a sentence that starts with the verb ("feel awful since...").
    r"|(?:^|\. )(?:feel|feeling|felt|been|got|have|had|having|woke|cant|took|taking|keep|"
    r"keeps|started|ran|forgot|missed|need|still|getting)\b"
)
QUESTION = (
    r"\b(?:can i|can you|could i|should i|may i|is it (?:ok|okay|safe|fine|bad|alright)|safe to|"
    r"ok to|okay to|interact\w*|mix\w*|combine|together|puedo|se puede|es seguro|debo)\b"
)
