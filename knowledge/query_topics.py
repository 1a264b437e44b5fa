"""The topics a patient's message names, and a ranking that serves each of them.

Patients often ask about two things at once: "can an abscessed tooth cause a heart attack?",
"is Dicyclomine OK with phentermine?", "Noonan syndrome and polycystic kidney disease". Ranking
sections by similarity alone fills the top ten with one topic (whichever the message leans on,
with its eight sections from one encyclopedia article) and leaves the other out, although a
patient needs both, and assessors grade both. Here:

- `group_topics` joins the words of the article names a message spells out into *topics*: names
  sharing a specific word are one topic ("tooth abscess" and "abscess"), generic words
  ("syndrome", "disease") join nothing;
- `diversify` re-orders a ranking so that a topic that has had fewer places so far gets a bonus
  for each place the most served topic had: a second topic gets in after a few sections of the
  first, unless its sections are far worse matches. Sections of no named topic neither gain nor
  lose;
- `cause_effect` reads "can X cause Y?" so that sections about Y are asked for its causes and
  sections about X for its effects (symptoms, complications), instead of both for both.

Pure functions: no index, no Django.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")

# A word found in more than this share of the article names is generic (in MedQuAD's 22,000
# names: "syndrome", "disease", "type", "deficiency", "disorder", "cancer"): shared, it does not
# make two names one topic, and it alone does not name a topic.
GENERIC_NAME_SHARE = 1 / 150


def group_topics(
    matched: Mapping[Hashable, frozenset[str]], is_generic: Callable[[str], bool]
) -> dict[Hashable, int]:
    """{key: topic number} for every key (a section, a name) whose matched words include a
    specific (not `is_generic`) one; keys whose specific words overlap, directly or through
    others, share a topic. Topics are numbered in the order their first key appears."""
    parent: dict[str, str] = {}

    def find(word: str) -> str:
        while parent[word] != word:
            parent[word] = parent[parent[word]]
            word = parent[word]
        return word

    specific: dict[Hashable, list[str]] = {}
    for key, words in matched.items():
        kept = sorted(w for w in words if not is_generic(w))
        if not kept:
            continue
        specific[key] = kept
        for word in kept:
            parent.setdefault(word, word)
        for word in kept[1:]:
            parent[find(word)] = find(kept[0])
    numbers: dict[str, int] = {}
    topics: dict[Hashable, int] = {}
    for key, words in specific.items():
        root = find(words[0])
        topics[key] = numbers.setdefault(root, len(numbers))
    return topics


def diversify(
    ranked: Sequence[tuple[T, float]],
    topic_of: Callable[[T], int | None],
    *,
    bonus: float,
    places: int,
) -> list[tuple[T, float]]:
    """`ranked` (best first) with its first `places` places filled greedily: at each place, the
    item with the best score plus `bonus` times how many more places the most served topic has
    had than the item's own topic. Every item competes, however low it ranked: a topic the
    message names may have all its sections below the first topic's. Items without a topic get
    no bonus. Rankings naming fewer than two topics come back unchanged. The scores returned are
    the adjusted ones, capped so that they never rise down the list (a score says where an item
    stands)."""
    if len({t for item, _ in ranked if (t := topic_of(item)) is not None}) < 2:
        return list(ranked)
    # Each topic's items (and the items of none) stay in their order: only the heads compete.
    queues: dict[int | None, list[int]] = {}
    for position, (item, _) in enumerate(ranked):
        queues.setdefault(topic_of(item), []).append(position)
    heads = dict.fromkeys(queues, 0)
    served: Counter[int] = Counter()
    taken: list[int] = []
    out: list[tuple[T, float]] = []
    while len(out) < min(places, len(ranked)):
        most = max(served.values(), default=0)

        def adjusted(topic: int | None, most: int = most) -> float:
            score = ranked[queues[topic][heads[topic]]][1]
            return score if topic is None else score + bonus * (most - served[topic])

        open_topics = [t for t in queues if heads[t] < len(queues[t])]
        topic = max(open_topics, key=lambda t: (adjusted(t), -queues[t][heads[t]]))
        score = adjusted(topic)
        position = queues[topic][heads[topic]]
        heads[topic] += 1
        if topic is not None:
            served[topic] += 1
        if out:
            score = min(score, out[-1][1])
        taken.append(position)
        out.append((ranked[position][0], score))
    chosen = set(taken)
    floor = out[-1][1] if out else float("inf")
    rest = [(item, min(score, floor)) for i, (item, score) in enumerate(ranked) if i not in chosen]
    return out + rest


# "Can X cause Y", "does X lead to Y", "is X a cause of Y": X is the possible cause.
_CAUSE_RE = re.compile(
    r"\b(?:can|could|does|do|did|will|would|may|might|is|are)\b(?P<cause>[^.?!]{2,80}?)"
    r"\b(?:caus(?:e|es|ing)|lead(?:s|ing)? to|result(?:s|ing)? in|trigger(?:s|ing)?|"
    r"bring(?:s|ing)? on|(?:be |a )?(?:the )?cause (?:of|for))\b(?P<effect>[^.?!]{2,120})",
    re.IGNORECASE,
)


def cause_effect(text: str) -> tuple[str, str] | None:
    """(possible cause, possible effect) of a "can X cause Y?" question, or None."""
    match = _CAUSE_RE.search(text)
    if not match:
        return None
    cause, effect = match.group("cause").strip(), match.group("effect").strip()
    if not cause or not effect:
        return None
    return cause, effect


# What a section about the cause or about the effect is asked for, by section type.
CAUSE_SIDE_QTYPES = {"complications": 1.0, "symptoms": 1.0, "side effects": 1.0, "outlook": 0.5}
EFFECT_SIDE_QTYPES = {"causes": 1.0, "susceptibility": 0.5, "information": 0.5}


def side_of(words: Iterable[str], cause_words: set[str], effect_words: set[str]) -> str | None:
    """ "cause" or "effect": the side of the question a topic's words come from (None when
    they are on both or neither)."""
    words = set(words)
    in_cause, in_effect = bool(words & cause_words), bool(words & effect_words)
    if in_cause == in_effect:
        return None
    return "cause" if in_cause else "effect"
