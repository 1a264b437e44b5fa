"""Urgent rules: the thread goes to a nurse, who replies within business hours.

These are questions only someone who knows the patient's record may answer (changing or stopping
a medicine, what their own lab value means, whether their own medicines mix), new or worsening
symptoms, and requests for a person. Most patterns need the message to be about the patient or
someone close ("my", "I", "he"): "what are common side effects of lisinopril?" is education,
"my lisinopril is giving me a cough" is urgent.
"""

from __future__ import annotations

from assistant.escalation_lexicon import BREASTFEEDING, MED, PREGNANT, Text, gap

from . import instructions as say
from .base import URGENT, Rule, Span
from .emergency import blood_pressure_readings, glucose_readings, oxygen_readings

G1, G2, G3, G4 = gap(1), gap(2), gap(3), gap(4)
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


def _low_sugar(text: Text) -> list[Span]:
    return [span for span, mg in glucose_readings(text) if 54 <= mg < 70]


def _high_sugar(text: Text) -> list[Span]:
    return [span for span, mg in glucose_readings(text) if 250 <= mg < 600]


def _readings(text: Text) -> list[Span]:
    spans = [span for span, _, _ in blood_pressure_readings(text)]
    spans += [span for span, value in oxygen_readings(text) if 90 <= value <= 94]
    return spans


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

LAB = (
    r"(?:a1c|hba1c|hemoglobin a1c|potassium|sodium|creatinine|egfr|gfr|bun|inr|tsh|t4|t3|"
    r"cholesterol|colesterol|ldl|hdl|triglycerides|trigliceridos|hemoglobin|hemoglobina|hgb|"
    r"hematocrit|platelets?|plaquetas|wbc|white (?:blood )?count|white blood cells?|ferritin|"
    r"iron|b12|vitamin d|vit d|psa|alt|ast|liver enzymes|liver (?:function )?tests?|bilirubin|"
    r"calcium|magnesium|phosphorus|uric acid|albumin|microalbumin|protein|glucose|blood sugars?|"
    r"sugars?|glucosa|azucar|ck|troponin|d dimer|bnp|esr|crp|lipase|amylase|folate|testosterone|"
    r"cortisol|viral load|cd4|potasio|sodio|creatinina|heart rate|pulse|ritmo cardiaco|pulso|"
    r"oxygen|o2|sats?|temperature|temp|blood pressure|presion|kidney function|numbers|levels?|"
    r"results?|labs?)"
)
LAB_VALUES = Rule(
    id="urgent.lab_values",
    level=URGENT,
    category="lab_values",
    title="The patient's own lab result or reading",
    rationale=(
        "What a result means for this patient depends on their history, trend and medicines "
        "(an A1c of 9.2 or a potassium of 6.1 may call for a change today). General "
        "explanations of a test are education; interpreting the patient's own number is the "
        "care team's job. Critical values with symptoms are caught by the emergency rules."
    ),
    patterns=(
        rf"\b(?:my|mi|mis|his|her|our) (?:\w+ )?{LAB}\b (?:\w+ |, ){{0,5}}?\d+(?:\.\d+)?\b"
        r"(?! (?:days?|weeks?|months?|years?|hours?|minutes?|times|dias|semanas|meses|anos|"
        r"horas))",
        rf"\b(?:my|mi|mis|his|her|our) (?:\w+ )?{LAB} (?:\w+ ){{0,3}}?(?:high|low|elevated|"
        r"abnormal|off|bad|up|down|flagged|out of range|too high|too low|alto|alta|altos|altas|"
        r"bajo|baja|bajos|bajas|elevad\w*|anormal\w*)\b",
        r"\b(?:results?|labs?|bloodwork|blood work|lab work|tests?|test results|resultados|"
        r"analisis) (?:\w+ ){0,2}?(?:came back|are back|is back|show\w*|flagged|say|says|salieron"
        r"|salio)\b",
    ),
    finder=_readings,
    requires=(PERSONAL,),
    examples=(
        "my A1c is 9.2, is that bad?",
        "my potassium was 6.1",
        "my blood pressure has been 165/100 the last few mornings",
        "mi a1c salió en 9.5",
        "results came back and my liver enzymes are high",
    ),
    counter_examples=(
        "what is a normal A1c?",
        "what does a potassium level measure?",
        "what is a normal blood pressure, like 120/80?",
        "my sugar has been steady for 30 days",
    ),
    instructions=say.URGENT,
)

LOW_SUGAR = Rule(
    id="urgent.low_blood_sugar",
    level=URGENT,
    category="blood_sugar",
    title="Low blood sugar (54-69 mg/dL) or sugars dropping",
    rationale=(
        "Level 1 hypoglycaemia needs 15 g of fast sugar now and a medicine review soon; with "
        "confusion or a reading under 54 the emergency rule applies instead."
    ),
    patterns=(
        r"\b(?:sugar|sugars|glucose|bg|azucar|glucosa) (?:\w+ ){0,3}?(?:low|dropping|crashing|"
        r"tanking|bajo|baja|bajando)\b",
        r"\bhypoglycemi\w*\b|\bhypos?\b|\blow (?:blood )?sugars?\b",
    ),
    finder=_low_sugar,
    requires=(PERSONAL,),
    examples=("my blood sugar has been 60 and i feel shaky", "my sugar keeps dropping at night"),
    counter_examples=("what are the symptoms of low blood sugar?",),
    instructions=say.URGENT,
    advice="low_sugar",
    education_lowerable=True,
)

HIGH_SUGAR = Rule(
    id="urgent.high_blood_sugar",
    level=URGENT,
    category="blood_sugar",
    title="High blood sugar (250-599 mg/dL) or sugars running high",
    rationale=(
        "Persistently high readings need a treatment change and a check for infection or "
        "missed doses; 600+, or 400+ with vomiting or confusion, is an emergency instead."
    ),
    patterns=(
        r"\b(?:sugar|sugars|glucose|bg|azucar|glucosa) (?:\w+ ){0,3}?(?:high|running high|too "
        r"high|out of control|through the roof|alta|alto|altos|altas)\b",
    ),
    finder=_high_sugar,
    requires=(PERSONAL,),
    examples=("my sugars been runnin high like 300s all week", "my sugar reading was 290"),
    counter_examples=("what causes high blood sugar in the morning?",),
    instructions=say.URGENT,
    education_lowerable=True,
)

MENTAL_HEALTH = Rule(
    id="urgent.mental_health",
    level=URGENT,
    category="mental_health",
    title="Depression, hopelessness, panic or not coping",
    rationale=(
        "Depression and panic that stop someone functioning need timely care, and "
        "hopelessness is a suicide risk factor even when suicide is denied; a nurse follows up "
        "and screens. Any statement of suicidal thoughts is the emergency rule instead."
    ),
    patterns=(
        r"\b(?:depressed|depression|hopeless|worthless|empty inside|numb inside|cant stop crying|"
        r"crying all the time|panic attacks?|anxiety attacks?|anxious|anxiety|burden to|cant "
        r"cope|falling apart|breaking down|cant get out of bed|havent slept|cant sleep|not "
        r"sleeping|no sleep|low mood|sad all the time|cant go on|cant do this anymore|cant take "
        r"it anymore)\b",
        r"\b(?:feel|feeling|felt|been) (?:\w+ )?(?:down|low|blue|sad|empty|numb)\b",
        r"\b(?:deprimid[oa]|depresion|sin esperanza|ataques? de (?:panico|ansiedad)|no aguanto|ya "
        r"no puedo mas|no dejo de llorar)\b",
    ),
    requires=(PERSONAL,),
    examples=(
        "I'm not suicidal, but I've been really depressed and can't get out of bed",
        "I've been having panic attacks every day",
        "I've been so anxious and haven't slept in two days",
        "me siento muy deprimida",
    ),
    counter_examples=(
        "what is a panic attack?",
        "how is depression treated?",
        "how can I manage anxiety before a job interview?",
    ),
    instructions=say.URGENT,
    education_lowerable=True,
)

HUMAN_REQUEST = Rule(
    id="urgent.human_request",
    level=URGENT,
    category="human_request",
    title="Asks for a nurse, doctor or a real person",
    rationale=(
        "A patient who asks for a person gets one: the assistant never stands between a "
        "patient and their care team."
    ),
    patterns=(
        r"\b(?:talk|speak|chat|speaking|talking|communicate) (?:to|with) (?:a |an |the |my |some "
        r")?(?:\w+ )?(?:nurse|doctor|physician|provider|pharmacist|human|person|someone|somebody|"
        r"people|care team|team|clinician|practitioner|np|pa|rn|therapist|counselor|agent|"
        r"representative|staff|humans|being)\b",
        r"\b(?:doctor|nurse|someone|somebody|provider|anyone|anybody|team) (?:\w+ )?(?:call|"
        r"calls|contact|text|ring) (?:me|us)\b|\b(?:call|ring|phone) me (?:back|please|asap|today"
        r"|when)\b",
        r"\b(?:need|want|like|get) (?:\w+ )?(?:a |an |to see a |to see an )?(?:nurse|human|real "
        r"person|actual person|live person|real doctor|doctor|physician)\b(?! note| appointment)",
        r"\b(?:hablar|comunicarme|platicar) con (?:un |una |el |la |mi |alguien )?(?:\w+ ){0,2}?"
        r"(?:enfermer[oa]|doctora?|medic[oa]|persona|humano|alguien|equipo|farmaceutico)\b",
        r"\b(?:me|nos) (?:puede|pueden|podria|podrian) llamar\b|\bllam(?:e|en)me\b",
        r"\bparler (?:a|avec) (?:un |une )?(?:infirmiere?|medecin|docteur|humain|personne)\b",
    ),
    examples=(
        "can I talk to a nurse please",
        "I want to speak to a real person",
        "lemme talk to an actual human",
        "can my doctor call me back today",
        "quiero hablar con una enfermera",
        "¿me puede llamar una enfermera?",
        "get me a real doctor",
    ),
    counter_examples=("how do I talk to my teenager about vaping?",),
    instructions=say.URGENT,
)

CARE_LEVEL_QUESTION = Rule(
    id="urgent.care_level_question",
    level=URGENT,
    category="care_level_question",
    title="Asks whether to go to the ER, urgent care or be seen",
    rationale=(
        "A patient weighing whether to go in has a symptom worrying enough to ask; a nurse "
        "should triage it, and the reply tells them to call 911 if they think it is an "
        "emergency."
    ),
    patterns=(
        r"\b(?:should|do|shall|would|must) (?:i|we|he|she) (?:\w+ ){0,2}?(?:go to (?:the )?(?:er|"
        r"emergency|hospital|urgent care|ed)|go in|be seen|see (?:a |the )?doctor)\b",
        r"\b(?:do|does) (?:i|he|she|we) need (?:to )?(?:go to |see )?(?:the |a )?(?:er|emergency "
        r"room|hospital|doctor|urgent care)\b",
        r"\b(?:debo|debemos|deberia) (?:ir|llevarl[oa]) (?:a |al )?(?:la sala de )?(?:emergencias|"
        r"urgencias|hospital)\b",
    ),
    examples=("should I go to the ER?", "do I need to see a doctor for this rash?"),
    counter_examples=("when should you go to the ER for a fever in general?",),
    instructions=say.URGENT,
    education_lowerable=True,
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

URGENT_RULES: tuple[Rule, ...] = (
    DOSE_ERROR,
    DOSE_CHANGE,
    STOP_MEDICINE,
    OUT_OF_MEDICINE,
    MISSED_DOSE,
    INTERACTION,
    PREGNANCY_MEDICINE,
    SIDE_EFFECT,
    LAB_VALUES,
    LOW_SUGAR,
    HIGH_SUGAR,
    MENTAL_HEALTH,
    HUMAN_REQUEST,
    CARE_LEVEL_QUESTION,
    NEW_SYMPTOM,
)
