"""Results and readings (urgent): the patient's own lab values, low or high sugars."""

from __future__ import annotations

from . import instructions as say
from .base import URGENT, Rule
from .readings import (
    _high_sugar,
    _low_sugar,
    _readings,
)
from .vocabulary import (
    PERSONAL,
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
