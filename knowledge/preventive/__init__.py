"""Preventive-care rule engine: which screenings, vaccines and counselling a patient is due for.

The package: `facts` (what the engine knows of a patient), `parts` and `rules` (a vetted rule and
its result), `rules_json` (its strict JSON form), `population` (whether a rule applies today),
`courses` (when it is due: intervals, seasons, dose series, vaccine courses) and `engine`
(`evaluate`, the one entry point).

Pure and deterministic: no ORM, no Django, no clock. The caller passes the patient's facts, the
vetted rules and the day to evaluate ``on``; the same inputs always give the same results.
Rules are clinician-reviewed content (see ``preventive_rules.json``); the database stores each
rule's fields as JSON and hands them to :meth:`Rule.from_dict`.

Definitions (what the statuses mean, precisely)
-----------------------------------------------
* **Eligible since** – the day the patient entered the rule's age band: their ``min_age``
  birthday (or the day they turned ``min_age_months`` months), their birth date if the rule has
  no lower age, and no earlier than the clock start below. Sex, condition and smoking
  requirements are checked on ``on``; a condition that brings the patient in starts the clock
  on its onset date when the record gives one.
* **Cover** – a satisfying entry done on day D keeps the patient up to date from D through
  D + interval days *inclusive* (``interval_by_code`` can give a code its own interval). The
  last covered day is ``up_to_date_until``: on that day the patient is still up to date, on the
  next day the item is overdue. ``interval_days`` null means once in a lifetime (cover never
  ends). The entry that covers longest decides (a colonoscopy 5 years ago beats a stool test
  last year) and is the ``evidence``; ``last_done`` is the most recent satisfying entry.
  Entries before the ``min_age_at_entry`` birthday do not count (childhood doses).
* **Series** rules (``doses_required`` > 1) are complete, for life, once that many doses were
  given on distinct days (``reduced_series``: fewer doses when the first came before an age);
  the counted doses are the ``evidence``.
* **Seasonal** rules (``season_start`` "MM-DD", e.g. flu from 08-01) only accept an entry from
  the current season: cover runs to the day before the next season starts.
* **not_applicable** – outside the population on ``on`` (age, sex, conditions, procedures such
  as a total hysterectomy, smoking, observations such as pack-years).
* **up_to_date** – covered on ``on``.
* **overdue** – the patient had it before, its cover ran out while they were already eligible,
  and nothing newer covers them. ``due_since`` is the first uncovered day (the day after
  ``up_to_date_until`` of the entry that covered longest), or for seasonal rules the first day
  of the current season (a missed earlier season cannot be made up; if the patient became
  eligible during this season, that day).
* **due** – never done while eligible: no satisfying entry at all, an entry whose cover had
  already ended before the patient became eligible, or a series still in progress.
  ``due_since`` is the day they became eligible (for seasonal rules: the later of that day and
  the start of the current season). A patient who turned 45 last week is due since that birthday.
* **Product series** (``series``): a vaccine course is a list of options, each an ordered list
  of doses naming the products (CVX codes) that may fill it, the minimum days after the
  previous dose and after the first, and the ages at which the dose counts. The course is
  complete, for life, when one option is filled by doses in date order (earliest dose that
  fits each step). Otherwise the option that got furthest says what is next and from when.
  Products the rule lists but no step accepts (Zostavax for Shingrix) are named as not
  counting.
* **Clock start** – ``due_since`` is never before the day the recommendation came into force
  (``recommended_since``, per age band) nor before the onset of the condition that puts the
  patient in the population (a risk condition's onset date, or the first day of the current
  run of "smoker" statuses).
* **Needs** – a rule whose population depends on something the record does not hold
  (pack-years, 10-year heart risk, falls) is ``not_applicable`` with ``needs`` naming what is
  missing, instead of guessing; ``needs`` can also carry what would change an up-to-date
  answer (a sexual history for repeat HIV tests). Panels and the chat show these.
* Deceased or inactive patients get no results at all: a portal sends them nothing.
* Results are ordered overdue, due, up_to_date, not_applicable, then by rule key.
* Birthdays: a person born on 29 February turns a year older on 1 March in non-leap years
  (consistently in :func:`age_on` and in eligibility dates).
"""

from knowledge.preventive.engine import evaluate
from knowledge.preventive.facts import (
    CURRENT_SMOKER_CODES,
    DEFAULT_RULES_PATH,
    FORMER_SMOKER_CODES,
    SMOKING_STATUS_LOINC,
    ConditionFact,
    Kind,
    PatientFacts,
    RecordEntry,
    RuleError,
    Status,
    age_on,
    birthday,
)
from knowledge.preventive.parts import Code, Requirement, SeriesDose, SeriesOption, Source
from knowledge.preventive.rules import Rule, RuleResult, load_default_rules, rules_from_json

__all__ = [
    "CURRENT_SMOKER_CODES",
    "DEFAULT_RULES_PATH",
    "FORMER_SMOKER_CODES",
    "SMOKING_STATUS_LOINC",
    "Code",
    "ConditionFact",
    "Kind",
    "PatientFacts",
    "RecordEntry",
    "Requirement",
    "Rule",
    "RuleError",
    "RuleResult",
    "SeriesDose",
    "SeriesOption",
    "Source",
    "Status",
    "age_on",
    "birthday",
    "evaluate",
    "load_default_rules",
    "rules_from_json",
]
