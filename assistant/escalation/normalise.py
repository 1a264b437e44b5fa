"""The word-level text every rule reads, and the regex fragments the rules share (pure).

Patients write in a hurry, on phones, in two languages, with typos. Before any rule looks at a
message it is turned into a `Text`:

1. case-folded and stripped of accents ("Me tomé" -> "me tome"), so one pattern covers both;
2. split into word tokens, numbers ("9.2", "150/95", "a1c") and boundary tokens: "." ends a
   sentence, "," ends a clause. Patterns never match across a boundary token because the
   `(?:\\w+ ){0,n}` gaps they use cannot step over punctuation;
3. contractions and chat slang expanded to one canonical spelling ("I'm" / "im" -> "i am",
   "can't" / "cannot" / "can not" -> "cant", "kms" -> "kill myself", "wanna" -> "want to");
4. misspelled key words corrected towards `spelling.KEY_WORDS` by a small, deterministic fuzzy
   match (`spelling.correct_spelling`: "stroek" -> "stroke", "pian" -> "pain").

Before any of that, `cleaning.clean` undoes the spelling tricks that hide a word from a machine
but not from a person (invisible characters, look-alike letters, leetspeak, spaced, repeated or
run-together letters).

Every normalised token remembers the characters of the original message it came from, so a
decision can quote the patient's own words ("chest pian"), not our rewriting of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

from assistant.escalation.cleaning import clean
from assistant.escalation.spelling import EXPANSIONS, correct_spelling, words

# Two-token negations folded into one token, so patterns and the negation scan see one spelling.
_PAIR_MERGES: dict[tuple[str, str], str] = {
    ("can", "not"): "cant",
    ("do", "not"): "dont",
    ("does", "not"): "doesnt",
    ("did", "not"): "didnt",
    ("will", "not"): "wont",
    ("is", "not"): "isnt",
    ("are", "not"): "arent",
    ("was", "not"): "wasnt",
    ("were", "not"): "werent",
    ("have", "not"): "havent",
    ("has", "not"): "hasnt",
    ("had", "not"): "hadnt",
    ("could", "not"): "couldnt",
    ("would", "not"): "wouldnt",
    ("should", "not"): "shouldnt",
    ("a", "lot"): "a lot",
}

_TOKEN_RE = re.compile(
    r"[a-z]+\d[a-z0-9]*"  # a1c, spo2, b12
    r"|\d+(?:[.,]\d+)?(?:/\d+)?"  # 9.2, 9,5, 150/95
    r"|[a-z]+(?:'[a-z]+)*"  # words, with their contraction
    r"|[.!?;\n]"  # sentence ends
    r"|[,:()\-]"  # clause breaks (a dash too: "no fever - sudden weakness")
)
_SENTENCE_END = frozenset(".!?;\n")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # normalised; may hold two words after an expansion ("kill myself")
    start: int  # span in the original message
    end: int


def _fold(text: str) -> tuple[str, list[int]]:
    """Lower-case, accent-free text and, for each of its characters, the original index."""
    folded: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text.translate(_APOSTROPHES)):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for low in part.casefold():
                folded.append(low)
                index.append(i)
    return "".join(folded), index


def _raw_tokens(text: str) -> list[Token]:
    folded, index = _fold(text)
    tokens: list[Token] = []
    for m in _TOKEN_RE.finditer(folded):
        raw = m.group()
        start, end = index[m.start()], index[m.end() - 1] + 1
        if raw in _SENTENCE_END:
            tokens.append(Token(".", start, end))
        elif raw in ",:()-":
            tokens.append(Token(",", start, end))
        elif raw[0].isdigit():
            tokens.append(Token(raw.replace(",", "."), start, end))
        else:
            tokens.append(Token(raw, start, end))
    return tokens


def _canonical(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for tok in tokens:
        word = tok.text
        if word in EXPANSIONS:
            word = EXPANSIONS[word]
        elif "'" in word:
            stem, _, suffix = word.partition("'")
            # A possessive or an unknown contraction: keep the stem ("wife's" -> "wife").
            word = stem if suffix in {"s", "d", "ll", "re", "ve"} else word.replace("'", "")
            word = EXPANSIONS.get(word, word)
        if word.isalpha():
            word = correct_spelling(word)
        if out and (out[-1].text, word) in _PAIR_MERGES:
            prev = out.pop()
            out.append(Token(_PAIR_MERGES[(prev.text, word)], prev.start, tok.end))
            continue
        out.append(Token(word, tok.start, tok.end))
    return out


# "SUBJECT: chest pain MESSAGE: ...", "Re: ...", "ASUNTO: ... MENSAJE: ..." (colons are commas in
# `norm`): the subject, up to the message or the first sentence end.
_SUBJECT = re.compile(
    r"^(?:subject|subj|re|asunto|tema|topic) , (.+?)(?= (?:message|mensaje|msg) ,| \.|$)"
)
_TITLE_WORDS = 8  # a first line this short, with no sentence mark, is a heading


# A sentence opening with a question word or an inverted auxiliary is a question.
_ASKING_START = re.compile(
    r"(?:what|whats|how|why|when|where|which|who|is|are|can|could|should|does|do|did|will"
    r"|would|que|cual|cuales|como|cuando|donde|por que|es normal|se puede) "
)


@dataclass(frozen=True)
class Text:
    """A patient message ready for the rules: `norm` is what patterns run over."""

    original: str
    tokens: tuple[Token, ...]
    norm: str
    starts: tuple[int, ...]  # offset of each token in `norm`

    @classmethod
    def of(cls, message: str) -> Text:
        message = clean(message)
        tokens = tuple(_canonical(_raw_tokens(message)))
        starts: list[int] = []
        offset = 0
        for tok in tokens:
            starts.append(offset)
            offset += len(tok.text) + 1
        return cls(message, tokens, " ".join(t.text for t in tokens), tuple(starts))

    def token_index(self, offset: int) -> int:
        """Index of the token that holds character `offset` of `norm`."""
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def quote(self, start: int, end: int) -> str:
        """The patient's own words behind norm[start:end]."""
        if not self.tokens:
            return ""
        first, last = self.token_index(start), self.token_index(max(start, end - 1))
        return self.original[self.tokens[first].start : self.tokens[last].end].strip()

    @cached_property
    def sentences(self) -> tuple[tuple[int, int], ...]:
        """(start, end) spans of `norm` between sentence-end tokens."""
        spans: list[tuple[int, int]] = []
        begin = 0
        for tok, start in zip(self.tokens, self.starts, strict=True):
            if tok.text == ".":
                if start > begin:
                    spans.append((begin, start))
                begin = start + 2
        if begin < len(self.norm):
            spans.append((begin, len(self.norm)))
        return tuple(spans)

    @cached_property
    def questions(self) -> frozenset[tuple[int, int]]:
        """The sentences (spans of `sentences`) the writer asked as questions: closed by "?" or
        opened by "¿" in the original message."""
        asked: set[tuple[int, int]] = set()
        for start, end in self.sentences:
            first = self.token_index(start)
            last = self.token_index(max(start, end - 1))
            closing = self.tokens[last + 1] if last + 1 < len(self.tokens) else None
            head = self.original[: self.tokens[first].start].rstrip()
            ended = (
                "?" in self.original[closing.start : closing.end]
                if closing is not None
                else self.original.rstrip().endswith("?")
            )
            # A chat question often loses its "?": a question word or an inverted verb opens it.
            if ended or head.endswith("\u00bf") or _ASKING_START.match(self.norm, start):
                asked.add((start, end))
        return frozenset(asked)

    @cached_property
    def title(self) -> tuple[int, int] | None:
        """The span of `norm` holding the message's subject line, if it has one.

        Questions sent by e-mail or a web form open with one ("Macular degeneration\\n I am a
        retired veteran...", "SUBJECT: chest pain MESSAGE: what causes..."): it names the topic
        of what follows, as a heading does, and tells nothing by itself of anyone's state.
        """
        labelled = _SUBJECT.match(self.norm)
        if labelled is not None:
            return labelled.span(1)
        first_line, newline, rest = self.original.strip().partition("\n")
        if (
            newline
            and rest.strip()
            and 0 < len(first_line.split()) <= _TITLE_WORDS
            and not any(mark in first_line for mark in ".!?;")
            and self.sentences
        ):
            return self.sentences[0]
        return None

    def sentence_of(self, offset: int) -> tuple[int, int]:
        for start, end in self.sentences:
            if start <= offset < end:
                return start, end
        return 0, len(self.norm)

    @cached_property
    def looks_spanish(self) -> bool:
        if any(c in self.original for c in "¿¡ñÑ"):
            return True
        words = [t.text for t in self.tokens]
        hits = sum(1 for w in words if w in _SPANISH_WORDS)
        return hits >= 2 or (hits == 1 and len(words) <= 4)


_SPANISH_WORDS = frozenset(
    words(
        """
    el la los las que y mi mis tengo tiene estoy esta por para es una con se muy dolor quiero
    puedo pecho desde hace mucho pero como cual cuales del al yo su sus hijo hija esposo esposa
    ayuda favor tomar tome tomo me duele no puede respirar sangre sangrando embarazada pastillas
    ahora hoy ayer anoche necesito hablar enfermera doctora medico azucar presion cabeza dias
    semanas olvide debo deberia puede morir matarme vivir todas todos nada siento
    """
    )
) - {"me", "no", "es", "la"}  # shared with English, or too short to tell


# --- Regex fragments shared by the rules -----------------------------------------------------
def gap(n: int) -> str:
    """Up to n whole words inside one clause (a boundary token is not a word).

    Rules compile every `(?:\\w+ )` gap word so that it cannot be a negation cue.
    """
    return rf"(?:\w+ ){{0,{n}}}?"


FAMILY = (
    r"(?:husband|wife|partner|spouse|boyfriend|girlfriend|fiance|fiancee|son|daughter|kid|"
    r"child|baby|toddler|infant|newborn|mom|mum|mother|mommy|dad|father|daddy|grandma|"
    r"grandmother|grandpa|grandfather|granny|nana|brother|sister|friend|roommate|aunt|uncle|"
    r"neighbou?r|coworker|grandson|granddaughter|niece|nephew|teen|teenager|man|woman|"
    r"esposo|esposa|marido|mujer|hijo|hija|bebe|nino|nina|mama|papa|madre|padre|abuelo|abuela|"
    r"hermano|hermana|amigo|amiga|novio|novia|tio|tia)s?"
)

# Medicines: generic words, common names, and the stems most drug names end with.
DRUG_NAMES = (
    r"metformin|insulin|lantus|levemir|tresiba|humalog|novolog|basaglar|ozempic|semaglutide|"
    r"wegovy|mounjaro|tirzepatide|trulicity|victoza|jardiance|farxiga|januvia|glipizide|"
    r"glyburide|glimepiride|lisinopril|losartan|valsartan|amlodipine|metoprolol|carvedilol|"
    r"atenolol|propranolol|hydrochlorothiazide|hctz|chlorthalidone|furosemide|lasix|"
    r"spironolactone|atorvastatin|lipitor|simvastatin|rosuvastatin|crestor|pravastatin|statins?|"
    r"warfarin|coumadin|eliquis|apixaban|xarelto|rivaroxaban|pradaxa|plavix|clopidogrel|aspirin|"
    r"levothyroxine|synthroid|prednisone|prednisolone|sertraline|zoloft|fluoxetine|prozac|"
    r"escitalopram|lexapro|citalopram|bupropion|wellbutrin|trazodone|venlafaxine|effexor|"
    r"duloxetine|cymbalta|gabapentin|lyrica|pregabalin|tramadol|oxycodone|oxy|hydrocodone|"
    r"percocet|vicodin|norco|morphine|methadone|suboxone|buprenorphine|fentanyl|xanax|alprazolam|"
    r"lorazepam|ativan|clonazepam|klonopin|diazepam|valium|ambien|zolpidem|melatonin|albuterol|"
    r"montelukast|singulair|symbicort|advair|omeprazole|prilosec|pantoprazole|famotidine|pepcid|"
    r"ibuprofen|advil|motrin|naproxen|aleve|acetaminophen|tylenol|paracetamol|excedrin|"
    r"benadryl|diphenhydramine|zyrtec|claritin|allegra|sudafed|nyquil|dayquil|amoxicillin|"
    r"augmentin|azithromycin|zpack|z pack|ciprofloxacin|cipro|doxycycline|cephalexin|keflex|"
    r"bactrim|nitrofurantoin|macrobid|methotrexate|humira|allopurinol|colchicine|digoxin|"
    r"amiodarone|lithium|lamotrigine|lamictal|levetiracetam|keppra|depakote|valproate|phenytoin|"
    r"dilantin|topiramate|topamax|sumatriptan|imitrex|tamoxifen|letrozole|finasteride|tamsulosin|"
    r"flomax|sildenafil|viagra|cialis|adderall|ritalin|vyvanse|seroquel|quetiapine|abilify|"
    r"risperdal|zyprexa|olanzapine|epipen|antibiotics?|antidepressants?|steroids?|"
    r"birth control|the pill|chemo|iron pills?|"
    r"metformina|insulina|ibuprofeno|paracetamol|amoxicilina|aspirina|losartan|"
    r"atorvastatina|omeprazol|levotiroxina|warfarina|anticoagulantes?|antibioticos?|"
    r"antidepresivos?|\w+(?:pril|sartan|olol|statin|statina|formin|formina|dipine|dipino|"
    r"azepam|zolam|oxetine|oxetina|talopram|cillin|cilina|mycin|micina|cycline|ciclina|"
    r"floxacin|floxacino|prazole|prazol|tidine|tidina|thiazide|tiazida|semide|semida|glutide|"
    r"glutida|gliflozin|gliflozina|xaban|parin|parina|codone|codona|morphone|profen|profeno|"
    r"triptan|lukast|gliptin|gliptina)"
)
MED = (
    r"(?:meds?|medications?|medicines?|medicine|pills?|tablets?|capsules?|doses?|dosage|dosages|"
    r"prescriptions?|rx|inhalers?|injections?|shots?|patch|drugs?|units|blood thinners?|"
    r"water pills?|thyroid pills?|sleeping pills?|pain pills?|painkillers?|pain killers?|"
    r"medicina|medicinas|medicamentos?|pastillas?|pildoras?|tabletas?|dosis|inyeccion|"
    r"pastilla de la presion|" + DRUG_NAMES + r")"
)
PREGNANT = (
    r"(?:pregnant|pregnancy|preggo|preggers|expecting a baby|weeks along|trimester|"
    r"embarazada|embarazo|enceinte|gravida|gestante)"
)
BREASTFEEDING = (
    r"(?:breastfeeding|breast feeding|breastfeed|nursing(?! home| school| staff| care)|pumping|"
    r"lactating|trying to (?:get pregnant|conceive)|ttc|amamantando|lactancia|lactando|"
    r"dando pecho|dando de mamar)"
)
