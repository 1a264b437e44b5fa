"""Text normalisation and shared vocabulary for the escalation gate (pure, no Django).

Patients write in a hurry, on phones, in two languages, with typos. Before any rule looks at a
message it is turned into a `Text`:

1. case-folded and stripped of accents ("Me tomé" -> "me tome"), so one pattern covers both;
2. split into word tokens, numbers ("9.2", "150/95", "a1c") and boundary tokens: "." ends a
   sentence, "," ends a clause. Patterns never match across a boundary token because the
   `(?:\\w+ ){0,n}` gaps they use cannot step over punctuation;
3. contractions and chat slang expanded to one canonical spelling ("I'm" / "im" -> "i am",
   "can't" / "cannot" / "can not" -> "cant", "kms" -> "kill myself", "wanna" -> "want to");
4. misspelled key words corrected by a small, deterministic fuzzy match: a token that is not a
   known word and is one edit (insertion, deletion, substitution or swap of two neighbours)
   away from a key word of five letters or more becomes that key word ("stroek" -> "stroke",
   "thoughs" -> "thoughts"); a four-letter key word only accepts a swap ("pian" -> "pain").
   Real English words that sit one edit away from a key word ("cheat", "flood", "threat") are
   listed in `PROTECTED_WORDS` and never corrected.

Before any of that, `clean` undoes what hides a word from a reader that is not a person: Unicode
compatibility forms (NFKC), invisible characters (zero-width, soft hyphens, bidi marks), look-alike
letters from other scripts ("сhеst" with Cyrillic с and е), leetspeak inside a word ("ch3st",
"k1ll"), spaced or dotted letters ("c h e s t", "s.u.i.c.i.d.e"), letters repeated for emphasis
("paaaain") and words run together ("chestpain", "icantbreathe"). The last two need to know what a
word is: `data/vocabulary.txt` (built from the approved corpus and the labelled messages by
`manage.py escalation_train`) lists the words, English and Spanish, that are never split or
shortened, so a word of another language is left as it is, never turned into an English one.

Every normalised token remembers the characters of the original message it came from, so a
decision can quote the patient's own words ("chest pian"), not our rewriting of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path


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

_KEY_SET = frozenset(KEY_WORDS)
_KNOWN = _KEY_SET | PROTECTED_WORDS

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

# --- Cleaning: what hides a word from a machine but not from a person ----------------------------
VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary.txt"

# Letters of other scripts drawn like Latin ones (Unicode confusables, the common ones): folded
# only inside a word that also holds a Latin letter, so a message in Greek or Russian is kept.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ɩ": "i", "ο": "o", "α": "a", "ε": "e", "ι": "i",
        "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ѡ": "w", "һ": "h", "ո": "n",
        "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Χ": "X", "Υ": "Y", "Ζ": "Z", "А": "A", "В": "B", "Е": "E", "К": "K",
        "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I", "Ѕ": "S",
    }
)  # fmt: skip
_LATIN = re.compile(r"[A-Za-z]")
_NON_SPACE_RUN = re.compile(r"\S+")
# Digits and symbols written for letters. Applied only inside a word that has letters on both
# sides of them or several letters, and never to a measurement ("10mg", "2nd") or a known code.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                       "$": "s", "!": "i", "|": "l", "€": "e"})  # fmt: skip
_EDGE_PUNCT = re.compile(r"^([\"'(\[.,!?;:]*)(.*?)([\"')\].,!?;:]*)$", re.DOTALL)
_LEETABLE = re.compile(r"[0-9@$!|€]")
_MEASURE = re.compile(r"^\d+(?:[.,]\d+)?(?:[a-z]{1,5})$|^\d+(?:st|nd|rd|th|s)$")
_CODES = frozenset(
    words("a1c hba1c b12 b6 b1 d3 o2 co2 spo2 h1n1 h5n1 t1 t2 t3 t4 covid19 c19 mp3 24h 24hrs 4am")
)
# Single letters joined by spaces, dots, dashes, underscores or stars: "c h e s t", "s.u.i.c.i.d.e".
_SPACED = re.compile(r"(?<![\w])(?:[^\W\d_][ .\-_*]{1,2}){2,}[^\W\d_](?![\w])")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
_INVISIBLE = frozenset(("Cf",))  # format characters: zero-width, soft hyphen, bidi marks, BOM
# Short words a run-together message may hold ("icantbreathe", "mybabyisblue").
_SHORT_WORDS = frozenset(
    words("i a my me no to in of on at is it up so do he we us am an or be by go oh ok"
          " mi yo me se su tu el la lo le no ya un y")
)  # fmt: skip


_LEADING_SHORT = frozenset(("i", "my", "no", "mi", "yo"))


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Words (lower case, accent-free) that are never split or shortened; empty if the file is gone.

    Without it, cleaning still removes invisible characters, look-alikes and leetspeak: only the
    splitting of run-together words and the shortening of repeated letters wait for it.
    """
    try:
        listed = VOCABULARY_FILE.read_text(encoding="utf-8").split()
    except OSError:
        listed = []
    return frozenset(listed) | _KNOWN | frozenset(EXPANSIONS) | _SHORT_WORDS


def _strip_invisible(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE)


def _fold_confusables(text: str) -> str:
    def fold(m: re.Match[str]) -> str:
        word = m.group()
        return word.translate(_CONFUSABLES) if _LATIN.search(word) else word

    return _NON_SPACE_RUN.sub(fold, text)


def _unleet(text: str) -> str:
    def fix(m: re.Match[str]) -> str:
        lead, core, trail = _EDGE_PUNCT.match(m.group()).groups()  # type: ignore[union-attr]
        low = core.lower()
        if (
            not _LEETABLE.search(core)
            or sum(c.isalpha() for c in core) < 2
            or low in _CODES
            or _MEASURE.match(low)
            or re.search(r"\d[/:.,]\d", core)  # a reading or a time: 150/95, 10:30, 9.5
        ):
            return m.group()
        return lead + core.translate(_LEET) + trail

    return _NON_SPACE_RUN.sub(fix, text)


def _join_spaced(text: str) -> str:
    def join(m: re.Match[str]) -> str:
        letters = re.sub(r"[ .\-_*]", "", m.group())
        # "I a m ok" or "a, b, c" stay: a short run is joined only when it spells a known word.
        if len(letters) >= 5 or _fold_word(letters) in vocabulary():
            return letters
        return m.group()

    return _SPACED.sub(join, text)


def _shorten_repeats(word: str, vocab: frozenset[str]) -> str:
    """'paaaain' -> 'pain', 'sooo' -> 'so', 'bleeeeding' -> 'bleeding' (a known word if any)."""
    if not _REPEATS.search(word):
        return word
    double = _REPEATS.sub(r"\1\1", word)
    single = _REPEATS.sub(r"\1", word)
    for candidate in (double, single):
        if _fold_word(candidate) in vocab:
            return candidate
    return single if len(single) >= 3 else double


def _fold_word(word: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c)
    )


@lru_cache(maxsize=16384)
def split_run_together(word: str) -> tuple[str, ...]:
    """A run-together word split into known words ('chestpain' -> chest, pain), or (word,).

    Only an unknown word of six letters or more is split, into at most three known words of three
    letters or more (or short function words), preferring the fewest and longest pieces: a word
    the vocabulary knows, in English or Spanish, is never touched.
    """
    vocab = vocabulary()
    low = _fold_word(word)
    if len(low) < 6 or not low.isalpha() or low in vocab or len(vocab) <= len(_KNOWN):
        return (word,)
    if correct_spelling(low) != low:  # a typo of a key word ("metforman"): the corrector's job
        return (word,)
    best: tuple[str, ...] | None = None

    def ok(piece: str, first: bool) -> bool:
        # Only a leading "i", "my" or "no" may be shorter than three letters: a trailing "a" or
        # "o" is how Spanish words end ("insulina" is not "insulin a").
        return piece in vocab and (len(piece) >= 3 or (first and piece in _LEADING_SHORT))

    n = len(low)
    for i in range(1, n):
        a = low[:i]
        if not ok(a, True):
            continue
        b = low[i:]
        if ok(b, False):
            cand: tuple[str, ...] = (a, b)
        else:
            cand = ()
            for j in range(i + 1, n):
                if ok(low[i:j], False) and ok(low[j:], False):
                    cand = (a, low[i:j], low[j:])
                    break
        if cand and (
            best is None or (len(cand), -min(map(len, cand))) < (len(best), -min(map(len, best)))
        ):
            best = cand
    return best or (word,)


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def clean(message: str) -> str:
    """The message as a person reads it: see the module docstring (pure, deterministic)."""
    text = unicodedata.normalize("NFKC", message or "")
    text = _strip_invisible(text)
    text = _fold_confusables(text)
    text = _unleet(text)
    text = _join_spaced(text)
    vocab = vocabulary()

    def word(m: re.Match[str]) -> str:
        token = _shorten_repeats(m.group(), vocab)
        return " ".join(split_run_together(token))

    return _WORD.sub(word, text)


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
    if len(word) < 4 or word in _KNOWN or not word.isalpha():
        return word
    for key in KEY_WORDS:  # priority order decides ties
        if abs(len(key) - len(word)) > 1:
            continue
        if len(key) >= 5 and _osa_distance_at_most_one(word, key):
            return key
        if len(key) == 4 and _is_swap(word, key):
            return key
    return word


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
