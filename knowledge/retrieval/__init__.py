"""Retrieval of approved patient-education content.

The package: `query` (understanding the message), `names` (topic names and how completely a
message names them), `fusion` (one score per candidate, and the final order) and `hybrid` (the
retriever). The contract (`Passage`, `Retriever`) is in `knowledge.passages`; the process-wide
wiring (`get_retriever`) in `knowledge.wiring`.

The contract every caller relies on: a search returns `Passage` objects, each naming the section
it came from by its stable external id *and* the version that was approved when it was indexed, so
an answer can always cite exactly what it used.

`HybridRetriever` ranks sections for a patient's message in three steps:
1. candidates: the nearest passages and the nearest curated questions (dense), the best BM25
   matches (lexical), and every section of an article whose name the message spells out;
2. re-ranking of those candidates by a small weighted sum of normalised signals:
   - `question`: similarity of the message to the section's curated question ("focus. question").
     MedQuAD answers are written for *questions*; matching the patient's question to them is the
     question-entailment idea of the MedQuAD authors;
   - `passage`: best similarity over the section's passages (the whole answer, not its start);
   - `bm25`: lexical score relative to the best lexical match of this query (the 300 best
     matches are scored, in a thread beside the query embedding; others count 0);
   - `focus`: how completely the message names the article's topic (IDF-weighted word coverage of
     the focus or one of its other names, tolerant to plural/typos; a name spelled out whole
     counts fully unless it is part of a longer name also spelled out);
   - `qtype`: the section answers the kind of question asked (causes, treatment, ...), from a
     small deterministic classifier of the message;
   - `topic`: a mild boost for sections about the patient's own conditions, only when the message
     is vague ("my condition", no topic named).
   In "can X cause Y?" the sections about Y are asked for its causes, those about X for its
   effects; a subtype that only borrows its parent's name ("Noonan syndrome 6") gets less focus;
3. the final order (`fuse`, then `query_topics.diversify`): each section drawn toward its
   article's best score; sections of one article under the same title (one answer in parts)
   in reading order, the parts after the first giving way to the article's other answers;
   and every topic the message names getting places in the top ranks.
Each result carries these signals in `Passage.scores` for a "why this answer" display.
"""

from knowledge.passages import Passage, Retriever
from knowledge.retrieval.hybrid import MODES, HybridRetriever

__all__ = ["MODES", "HybridRetriever", "Passage", "Retriever"]
