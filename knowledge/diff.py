"""Side-by-side differences between two versions of curated content, as HTML for the admin.

difflib's HtmlDiff escapes the compared text itself (& < >); the column titles are escaped here.
Prose is compared sentence by sentence (one line per sentence), so a changed word highlights its
sentence instead of a whole paragraph.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import PreventiveRuleVersion, ReviewedVersion, SectionVersion
from .services import CurationError, canonical_rule_definition

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")


@dataclass(frozen=True)
class FieldDiff:
    label: str
    changed: bool
    html: SafeString


def prose_lines(text: str) -> list[str]:
    """One line per sentence, paragraphs kept apart by an empty line."""
    lines: list[str] = []
    for paragraph in re.split(r"\n\s*\n|\n", text.strip()):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if lines:
            lines.append("")
        lines.extend(s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip())
    return lines


def diff_table(
    old_lines: list[str], new_lines: list[str], *, old_label: str, new_label: str
) -> SafeString:
    table = difflib.HtmlDiff().make_table(
        old_lines,
        new_lines,
        fromdesc=escape(old_label),
        todesc=escape(new_label),
        context=False,
    )
    # HtmlDiff escapes the compared lines (the labels were escaped above) but turns every space
    # into &nbsp;, which forbids wrapping: plain spaces let the browser wrap between words. (A
    # literal "&nbsp;" in the text was escaped to "&amp;nbsp;" and is left alone.)
    return mark_safe(table.replace("&nbsp;", " "))


def _label(version: ReviewedVersion) -> str:
    return f"v{version.number} ({version.get_state_display().lower()})"


def section_diff(old: SectionVersion, new: SectionVersion) -> list[FieldDiff]:
    """Question, type and text of two versions of a section."""
    a, b = _label(old), _label(new)
    return [
        FieldDiff(
            "Question / heading",
            old.question != new.question,
            diff_table([old.question], [new.question], old_label=a, new_label=b),
        ),
        FieldDiff(
            "Type",
            old.qtype != new.qtype,
            diff_table([old.qtype], [new.qtype], old_label=a, new_label=b),
        ),
        FieldDiff(
            "Text",
            old.text != new.text,
            diff_table(prose_lines(old.text), prose_lines(new.text), old_label=a, new_label=b),
        ),
    ]


def definition_text(definition: dict) -> str:
    """A rule definition as indented JSON, its fields in the engine's order (key, title, kind…)
    whatever order the database kept them in."""

    try:
        return json.dumps(canonical_rule_definition(definition), indent=2, ensure_ascii=False)
    except CurationError:
        return json.dumps(definition, indent=2, sort_keys=True, ensure_ascii=False)


def definition_lines(definition: dict) -> list[str]:
    return definition_text(definition).splitlines()


def rule_diff(old: PreventiveRuleVersion, new: PreventiveRuleVersion) -> list[FieldDiff]:
    """The rule definitions of two versions, as indented JSON."""
    return [
        FieldDiff(
            "Definition",
            old.definition != new.definition,
            diff_table(
                definition_lines(old.definition),
                definition_lines(new.definition),
                old_label=_label(old),
                new_label=_label(new),
            ),
        )
    ]


def version_diff(old: ReviewedVersion, new: ReviewedVersion) -> list[FieldDiff]:
    if isinstance(old, SectionVersion) and isinstance(new, SectionVersion):
        return section_diff(old, new)
    if isinstance(old, PreventiveRuleVersion) and isinstance(new, PreventiveRuleVersion):
        return rule_diff(old, new)
    raise TypeError("both versions must be of the same kind")
