"""Medicines (urgent: a nurse decides): dose errors and changes, stopping, running out, missed
doses, interactions, pregnancy, side effects.

These are questions only someone who knows the patient's record may answer. Most patterns need
the message to be about the patient or someone close ("my", "I", "he"): "what are common side
effects of lisinopril?" is education, "my lisinopril is giving me a cough" is urgent.
"""

from __future__ import annotations

from assistant.escalation.normalise import (
    BREASTFEEDING,
    MED,
    PREGNANT,
)

from . import instructions as say
from .base import URGENT, Rule
from .vocabulary import (
    G1,
    G2,
    G3,
    G4,
    PERSONAL,
    QUESTION,
)

DOSE_ERROR = Rule(
    id="urgent.dose_error",
    level=URGENT,
    category="dose_error",
    title="Took a dose twice or an extra dose by mistake",
    rationale=(
        "A doubled dose of most medicines is not dangerous, but of some (insulin, blood "
        "thinners, thyroid, heart and seizure medicines) it can be; a nurse checks which, and "
        "Poison Control can advise at once."
    ),
    patterns=(
        r"\b(?:took|taken|gave|given|injected|used) (?:\w+ ){0,4}?(?:twice|double|two doses|2 "
        r"doses|an extra|extra dose|another dose|a second dose|second dose|both doses)\b"
        r"(?! a day| daily| per day| each day| every| a week)",
        r"\bdouble(?:d)? (?:up|dosed)\b",
        r"\b(?:tome|tomo|me tome|se tomo) (?:\w+ ){0,3}?(?:dos veces|doble|dosis extra|otra dosis)"
        r"\b",
    ),
    examples=(
        "I accidentally took my levothyroxine twice this morning",
        "I took my dose twice by mistake",
        "me tomé la pastilla dos veces",
    ),
    counter_examples=("I take my metformin twice a day", "what happens if you double a dose?"),
    instructions=say.URGENT,
    advice="extra_dose",
)

DOSE_CHANGE = Rule(
    id="urgent.dose_change",
    level=URGENT,
    category="dose_change",
    title="Wants to change the dose of a medicine",
    rationale=(
        "The right dose depends on the patient's record, readings and other medicines; a "
        "wrong change (doubling insulin, halving a heart drug) can cause harm, so a nurse or "
        "prescriber answers, and the patient keeps the current dose meanwhile."
    ),
    patterns=(
        r"\b(?:should|can|could|may|do|shall|would|ok to|okay to|safe to|want to|need to|have to|"
        r"thinking about|planning to|going to|is it ok to|is it okay to|is it safe to|is it bad "
        rf"to) (?:i |we )?{G2}(?:increase|decrease|raise|lower|reduce|up|bump up|double|halve|"
        r"half|cut|adjust|change|skip|split|take more|take less|take extra|take an extra|take "
        r"another|take two|take 2|go up|go down|come down|cut back|cut down|hold|pause|switch)\b",
        r"\b(?:double|doubled|doubling|increase|increased|increasing|decrease|decreased|halve|"
        r"halved|cut|raised|lowered|upped) (?:\w+ )?(?:my|the|his|her) (?:\w+ ){0,2}?(?:dose|"
        r"dosage|insulin|units|meds|medication|pills?)\b",
        r"\b(?:should|do|can) (?:i|he|she|we) (?:still |even )?(?:take|give|use|inject|hold) "
        r"(?:my|his|her|the|our) \w+",
        r"\b(?:is it (?:ok|okay|safe|fine|alright)|ok|okay|safe|fine) to (?:take|use|give|inject)"
        r" (?:my|his|her|our) \w+",
        r"\bhow (?:many|much) (?:units|insulin|mg|pills|tablets|of my \w+) (?:\w+ ){0,3}?"
        r"(?:should|do|can) (?:i|he|she) (?:take|give|use|inject)\b",
        r"\bmy (?:\w+ ){0,2}?(?:dose|dosage) (?:\w+ )?(?:too|is too|seems too) (?:high|low|strong|"
        r"weak|much)\b",
        r"\b(?:debo|puedo|deberia|tengo que|quiero|podria|se puede) (?:\w+ )?(?:subir|aumentar|"
        r"bajar|disminuir|reducir|duplicar|doblar|cambiar|ajustar|partir|tomar mas|tomar menos|"
        r"tomar doble|saltar\w*|omitir)\b",
    ),
    requires=(MED,),
    examples=(
        "should I increase my insulin?",
        "can I double my dose of lisinopril?",
        "shuld i up my insulin dose",
        "should I take my insulin if I'm not eating?",
        "is it ok to take my bp pill at night instead",
        "should I cut my blood pressure pill in half?",
        "¿debo subir la dosis de insulina?",
    ),
    counter_examples=(
        "how can I lower my blood pressure naturally?",
        "is it safe to stop smoking cold turkey?",
        "how does insulin dosing work?",
    ),
    instructions=say.URGENT,
    advice="keep_taking",
)

STOP_MEDICINE = Rule(
    id="urgent.stop_medicine",
    level=URGENT,
    category="stop_medicine",
    title="Wants to stop, or has stopped, a medicine",
    rationale=(
        "Stopping some medicines suddenly is dangerous (beta blockers, steroids, "
        "antidepressants, seizure drugs, blood thinners after a stent) and stopping any of "
        "them changes the care plan; the prescriber needs to know and advise."
    ),
    patterns=(
        r"\b(?:stop|stopping|stopped|quit|quitting|discontinue\w*|come off|coming off|came off|"
        r"get off|getting off|go off|going off|went off|wean\w* off|taper\w* off|ditch|ditched) "
        rf"(?:taking |using )?{G3}{MED}",
        r"\b(?:havent|hasnt|not been|wasnt) (?:\w+ )?(?:taken|taking|take|using|used) (?:my|his|"
        rf"her) {G2}{MED}",
        r"\b(?:dejar|deje|dejo|suspender|suspendi|suspendio|parar|pare) (?:de )?(?:tomar |usar )?"
        rf"{G2}{MED}",
    ),
    requires=(PERSONAL,),
    examples=(
        "can I stop taking my statin?",
        "I want to stop my antidepressant",
        "I stopped my blood pressure meds last week",
        "is it bad that i havent taken my bp meds in 2 weeks",
        "quiero dejar de tomar la metformina",
    ),
    counter_examples=(
        "how do i quit smokin",
        "¿cómo puedo dejar de fumar?",
        "can you stop taking antidepressants suddenly?",
    ),
    instructions=say.URGENT,
)

OUT_OF_MEDICINE = Rule(
    id="urgent.out_of_medicine",
    level=URGENT,
    category="refill",
    title="Has run out of a medicine",
    rationale=(
        "A gap in insulin, a blood thinner, seizure or heart medicine can cause harm within "
        "days; the care team arranges a bridge prescription the same day."
    ),
    patterns=(
        rf"\b(?:ran out|run out|running out|out of|none left|no more|used up|used the last) "
        rf"(?:of )?{G2}{MED}",
        r"\bneed (?:\w+ )?refill\b|\brefills? (?:on|of|for) (?:my|mi|his|her)\b",
        r"\b(?:have|got) (?:none|no (?:\w+ )?(?:pills|meds|insulin)) left\b",
        r"\bse me (?:acabo|acabaron|termino|terminaron)\b",
        rf"\bya no tengo {G2}{MED}",
    ),
    examples=(
        "I ran out of my insulin yesterday",
        "i need a refill of my blood pressure meds, I have none left",
        "can I get a refill on my metformin",
    ),
    counter_examples=("how do I request a refill online?",),
    instructions=say.URGENT,
)

MISSED_DOSE = Rule(
    id="urgent.missed_dose",
    level=URGENT,
    category="missed_dose",
    title="Missed or forgot a dose",
    rationale=(
        "Whether to take a missed dose late, skip it or adjust depends on the medicine "
        "(insulin, blood thinners, seizure and transplant medicines are time-critical), so a "
        "nurse advises; doubling up is discouraged meanwhile."
    ),
    patterns=(
        r"\b(?:missed|miss|forgot|forget|forgotten|skipped|neglected) (?:to take |to give |taking "
        rf")?{G3}{MED}",
        rf"\b(?:didnt|havent) (?:take|taken|give|given) (?:my|his|her|the) {G2}{MED}",
        r"\b(?:olvide|olvido|se me olvido|se le olvido|no tome|no tomo|se me paso|me salte|salte|"
        rf"omiti) (?:tomar |ponerme |darle )?{G3}{MED}",
    ),
    requires=(PERSONAL,),
    examples=(
        "I forgot to take my blood thinner last night",
        "missed 2 doses of my seizure medicine",
        "i forgot my meds for like 3 days now",
        "se me olvidó tomar mi insulina anoche",
        "olvidé mi dosis de anticoagulante",
    ),
    counter_examples=("what happens if you miss a dose of birth control?",),
    instructions=say.URGENT,
    advice="missed_dose",
)

INTERACTION = Rule(
    id="urgent.interaction",
    level=URGENT,
    category="interaction",
    title="Whether something can be taken with the patient's own medicines",
    rationale=(
        "Interactions depend on the patient's full medicine list, kidney and liver function "
        "(NSAIDs with ACE inhibitors or blood thinners, sedatives with opioids, alcohol with "
        "metformin); a nurse or pharmacist checks the record."
    ),
    patterns=(
        r"\b(?:with|and|while on|while taking|together with|plus|on top of|alongside|con|y) "
        rf"(?:my|mi|mis|his|her) {G3}{MED}",
        rf"\b(?:take|taking|mix|mixing|combine|combining|tomar) (?:my|mi|mis) {G2}{MED} {G2}"
        r"(?:with|and|together|con|y)\b",
        r"\binteract\w* (?:\w+ ){0,2}?(?:with )?(?:my|mi|mis)\b",
    ),
    requires=(QUESTION,),
    examples=(
        "can I take ibuprofen with my lisinopril?",
        "is it ok to drink alcohol with my metformin?",
        "can i take my metforman with ibuprofin",
        "¿puedo tomar ibuprofeno con mi medicina de la presión?",
    ),
    counter_examples=(
        "does grapefruit interact with statins?",
        "I take my metformin with breakfast",
    ),
    instructions=say.URGENT,
)

PREGNANCY_MEDICINE = Rule(
    id="urgent.pregnancy_medicine",
    level=URGENT,
    category="pregnancy_medicine",
    title="Medicines in pregnancy, breastfeeding or when trying to conceive",
    rationale=(
        "Safety of a medicine in pregnancy or breastfeeding depends on the drug, the dose and "
        "the stage (lisinopril, methotrexate, valproate and isotretinoin can harm a baby); "
        "stopping a needed medicine can harm the mother. A clinician answers, not a leaflet."
    ),
    patterns=(MED, r"\b(?:safe to take|can i take|ok to take|okay to take|puedo tomar)\b"),
    requires=(PREGNANT + "|" + BREASTFEEDING,),
    examples=(
        "I'm pregnant, can I keep taking my sertraline?",
        "is tylenol safe while breastfeeding?",
        "I'm trying to get pregnant, is my methotrexate a problem?",
        "estoy embarazada, ¿puedo tomar amoxicilina?",
    ),
    counter_examples=(
        "is it safe to exercise while pregnant?",
        "I'm not pregnant, can I take ibuprofen?",
    ),
    instructions=say.URGENT,
)

SIDE_EFFECT = Rule(
    id="urgent.side_effect",
    level=URGENT,
    category="side_effect",
    title="A possible side effect or reaction to the patient's medicine",
    rationale=(
        "A new symptom after starting or changing a medicine may be a side effect that needs "
        "a dose change or a different drug (statin muscle pain, ACE-inhibitor cough, metformin "
        "diarrhoea, a rash from an antibiotic)."
    ),
    patterns=(
        r"\bside ?effects?\b",
        r"\b(?:since|after|ever since) (?:i )?(?:started|starting|start|began|beginning|switched|"
        r"switching|went on|going on|taking|took|increased|changed|i started|i began) "
        rf"{G4}{MED}",
        rf"\bsince (?:the|my|this|that) (?:new )?{G2}{MED}",
        rf"\b{MED} (?:\w+ ){{0,4}}?(?:giving|causing|making|made|gave|caused|causes|makes|gives) "
        r"(?:me|my|him|her|a|an|some|bad|really)\b",
        rf"\b(?:reaction|allergic|allergy) (?:\w+ ){{0,3}}?(?:to )?(?:my|the|this) (?:new )?{G1}"
        rf"{MED}",
        r"\b(?:having|have|had|got|getting) (?:an? )?(?:allergic )?reaction\b",
        r"\befectos? secundarios?\b",
        rf"\b{MED} (?:\w+ ){{0,3}}?(?:me|le) (?:esta |estan )?(?:dando|da|causa|causando|provoca|"
        r"provocando|hace)\b",
        r"\bdesde que (?:empece|comence|tomo|tome|cambie|estoy tomando|empezo|comenzo) "
        rf"{G3}{MED}",
    ),
    requires=(PERSONAL,),
    examples=(
        "I've been dizzy since I started the new blood pressure pill",
        "my metformin is giving me bad diarrhea",
        "I think my new medication is causing a rash",
        "la nueva pastilla me está dando mareos",
    ),
    counter_examples=(
        "what are common side effects of lisinopril?",
        "how do you know if someone is having an allergic reaction?",
    ),
    instructions=say.URGENT,
    education_lowerable=True,
)
