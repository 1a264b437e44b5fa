"""The organisations behind the approved content, as a patient would recognise them.

One table for every place a publisher is named: the sentence under an answer ("This is general
information from the National Cancer Institute ...") and the citation card beside it must name
the same organisation the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Publisher(NamedTuple):
    name: str
    article: bool = False  # "the National Cancer Institute", but "MedlinePlus"


PUBLISHERS: dict[str, Publisher] = {
    "CancerGov": Publisher("National Cancer Institute", article=True),
    "GARD": Publisher("Genetic and Rare Diseases Information Center (NIH)", article=True),
    "GHR": Publisher("Genetics Home Reference (National Library of Medicine)"),
    "MPlusHealthTopics": Publisher("MedlinePlus"),
    "MPlusDrugs": Publisher("MedlinePlus"),
    "MPlusHerbsSuppls": Publisher("MedlinePlus"),
    "ADAM": Publisher("A.D.A.M. Medical Encyclopedia (MedlinePlus)", article=True),
    "NIDDK": Publisher(
        "National Institute of Diabetes and Digestive and Kidney Diseases", article=True
    ),
    "NINDS": Publisher("National Institute of Neurological Disorders and Stroke", article=True),
    "NIHSeniorHealth": Publisher("NIHSeniorHealth (National Institutes of Health)"),
    "NHLBI": Publisher("National Heart, Lung, and Blood Institute", article=True),
    "CDC": Publisher("Centers for Disease Control and Prevention", article=True),
}


def publisher_name(source: str) -> str:
    """The publisher's name for a card or a list ("National Cancer Institute")."""
    found = PUBLISHERS.get(source)
    return found.name if found else source


def publishers_in_sentence(sources: Iterable[str]) -> str:
    """The distinct publishers of `sources` as words inside a sentence: "the National Cancer
    Institute and MedlinePlus"; a generic phrase when there are none."""
    names: list[str] = []
    for source in sources:
        found = PUBLISHERS.get(source)
        name = (f"the {found.name}" if found.article else found.name) if found else source
        if name and name not in names:
            names.append(name)
    if not names:
        return "approved patient-education sources"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
