"""What the patient is told at once when a rule fires, in English and Spanish.

Kept apart from the rules so a clinician can review every sentence a patient may see in one
place. Numbers are the U.S. ones the product is built for: 911, the 988 Suicide & Crisis
Lifeline (call or text; Spanish: press 2, or text AYUDA), Poison Control 1-800-222-1222.
The urgent reply target (4 business hours) matches the nurse inbox's default target.
"""

from __future__ import annotations

EMERGENCY = "emergency"
SELF_HARM = "self_harm"
HARM_TO_OTHERS = "harm_to_others"
OVERDOSE = "overdose"
URGENT = "urgent"

TEXTS: dict[str, dict[str, str]] = {
    EMERGENCY: {
        "en": (
            "This could be a medical emergency. Call 911 now or go to the nearest emergency "
            "department. Do not wait for a reply here, and do not drive yourself. "
            "Your care team has also been alerted."
        ),
        "es": (
            "Esto podría ser una emergencia médica. Llame al 911 ahora o vaya a la sala de "
            "emergencias más cercana. No espere una respuesta aquí y no maneje usted mismo. "
            "También avisamos a su equipo de atención."
        ),
    },
    SELF_HARM: {
        "en": (
            "Thank you for telling me. You don't have to go through this alone. Please call or "
            "text 988 now to reach the 988 Suicide & Crisis Lifeline (free, confidential, 24/7), "
            "or chat at 988lifeline.org. If you are in immediate danger or have already hurt "
            "yourself, call 911 now. Your care team has also been alerted."
        ),
        "es": (
            "Gracias por decírmelo. No tiene que pasar por esto a solas. Llame al 988 y oprima 2 "
            "para español, o envíe AYUDA por mensaje de texto al 988 (Línea 988 de Prevención del "
            "Suicidio y Crisis: gratis, confidencial, las 24 horas). Si está en peligro inmediato "
            "o ya se hizo daño, llame al 911 ahora. También avisamos a su equipo de atención."
        ),
    },
    HARM_TO_OTHERS: {
        "en": (
            "If anyone is in immediate danger, call 911 now. If you are afraid you might hurt "
            "someone, move away from them if you can and call or text 988 to talk to someone "
            "right now. Your care team has also been alerted."
        ),
        "es": (
            "Si alguien está en peligro inmediato, llame al 911 ahora. Si teme hacerle daño a "
            "alguien, aléjese de esa persona si puede y llame al 988 (oprima 2 para español) para "
            "hablar con alguien ahora mismo. También avisamos a su equipo de atención."
        ),
    },
    OVERDOSE: {
        "en": (
            "Call 911 now if the person is hard to wake, has trouble breathing, has a seizure or "
            "has collapsed. Otherwise call Poison Control right away at 1-800-222-1222 (free, "
            "24/7); do not wait for symptoms. Keep the bottle or product with you. "
            "Your care team has also been alerted."
        ),
        "es": (
            "Llame al 911 ahora si la persona no despierta bien, tiene dificultad para respirar, "
            "tiene una convulsión o se desmayó. Si no, llame de inmediato a Control de "
            "Envenenamientos al 1-800-222-1222 (gratis, 24 horas, en español); no espere a tener "
            "síntomas. Tenga a mano el frasco o el producto. También avisamos a su equipo de "
            "atención."
        ),
    },
    URGENT: {
        "en": (
            "I've sent this to your care team. A nurse will reply within 4 business hours "
            "(messages sent in the evening or at the weekend are answered the next business "
            "day). If it gets worse, or it can't wait, call the clinic. If you think it is an "
            "emergency, call 911 or go to the nearest emergency department."
        ),
        "es": (
            "Envié su mensaje a su equipo de atención. Una enfermera le responderá en un plazo de "
            "4 horas hábiles (los mensajes enviados en la noche o el fin de semana se responden "
            "el siguiente día hábil). Si empeora o no puede esperar, llame a la clínica. Si cree "
            "que es una emergencia, llame al 911 o vaya a la sala de emergencias más cercana."
        ),
    },
}

# Extra safety sentences some urgent rules add after the hand-off text.
ADVICE: dict[str, dict[str, str]] = {
    "keep_taking": {
        "en": "Until you hear from us, keep taking your medicine as prescribed.",
        "es": "Hasta que le respondamos, siga tomando su medicina como se la recetaron.",
    },
    "missed_dose": {
        "en": (
            "Don't take a double dose to make up for a missed one unless your care team tells "
            "you to."
        ),
        "es": "No tome una dosis doble para compensar la que olvidó, salvo que se lo indiquemos.",
    },
    "extra_dose": {
        "en": (
            "If you took more than prescribed, you can also call Poison Control now at "
            "1-800-222-1222 (free, 24/7) for advice."
        ),
        "es": (
            "Si tomó más de lo recetado, también puede llamar ahora a Control de Envenenamientos "
            "al 1-800-222-1222 (gratis, 24 horas)."
        ),
    },
    "low_sugar": {
        "en": (
            "If your blood sugar is below 70, take 15 g of fast sugar now (4 oz of juice or "
            "regular soda, or glucose tablets) and check again in 15 minutes. If you become "
            "confused or can't keep food down, call 911."
        ),
        "es": (
            "Si su azúcar está por debajo de 70, tome ahora 15 g de azúcar rápida (media taza de "
            "jugo o refresco normal, o tabletas de glucosa) y vuelva a medirla en 15 minutos. Si "
            "se siente confundido o no puede comer, llame al 911."
        ),
    },
}


def render(keys: list[str], advice: list[str], *, spanish: bool) -> str:
    """The patient-facing text for these instruction keys: Spanish first when they wrote in it."""
    languages = ("es", "en") if spanish else ("en",)
    blocks: list[str] = []
    for lang in languages:
        parts = [TEXTS[k][lang] for k in dict.fromkeys(keys)]
        parts += [ADVICE[a][lang] for a in dict.fromkeys(advice)]
        blocks.append(" ".join(parts))
    return "\n\n".join(blocks)
