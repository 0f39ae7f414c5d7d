"""Which classification a new deviation is proposed: rules as data, the first that matches wins.

A rule names the source it applies to and, optionally, facts the opening service states about the
departure (`critical_parameter`, the clean-room `grade`, the monitoring `level`). QA confirms or
changes the proposal with a reason; the rule's id is stored with the deviation so the proposal can
be traced to the rule that made it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# (id, conditions, classification, what it says). Conditions: "source" one of the deviation
# sources (or a tuple of them); any other key must equal (or be one of) the fact of that name.
RULES = (
    (
        "environment-grade-a-b-action",
        {"source": "environment", "level": "action", "grade": ("A", "B")},
        "critical",
        _("environmental monitoring at action level in grade A or B → critical"),
    ),
    (
        "oos-result",
        {"source": "oos"},
        "major",
        _("an out-of-specification result → major"),
    ),
    (
        "critical-parameter",
        {"source": "parameter", "critical_parameter": True},
        "major",
        _("a critical process parameter out of range → major"),
    ),
    (
        "environment-action",
        {"source": "environment", "level": "action"},
        "major",
        _("environmental monitoring at action level in grade C or D → major"),
    ),
    ("default", {}, "minor", _("any other departure → minor")),
)

RULE_TEXT = {rule_id: text for rule_id, _c, _k, text in RULES}


def _matches(conditions: dict, source: str, facts: dict) -> bool:
    for key, wanted in conditions.items():
        have = source if key == "source" else facts.get(key)
        if isinstance(wanted, tuple):
            if have not in wanted:
                return False
        elif have != wanted:
            return False
    return True


def propose_classification(source: str, facts: dict | None = None) -> tuple[str, str]:
    """(classification, rule id) of the first rule that matches the source and facts."""
    facts = facts or {}
    for rule_id, conditions, classification, _text in RULES:
        if _matches(conditions, source, facts):
            return classification, rule_id
    return "minor", "default"  # unreachable while the last rule matches everything


def rule_text(rule: str) -> str:
    """What a stored rule id says, in the active language; a rule stored as free text is shown as is."""
    return str(RULE_TEXT.get(rule, rule))
