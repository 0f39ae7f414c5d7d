"""Is a trial about EVs given to people, EVs measured in people, or neither?

Deterministic rules over the title, the interventions and the descriptions; every decision
keeps its reason and the words that matched. A person may override a decision (who, when, why):
the override wins from its date on, and the rule's own reason is kept beside it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from evqms.i18n import _

THERAPEUTIC = "therapeutic"
BIOMARKER = "biomarker"
UNRELATED = "unrelated"
CATEGORIES = (THERAPEUTIC, BIOMARKER, UNRELATED)

# EV words. "EV"/"EVs" only as a whole upper-case word not followed by a hyphen, so that
# enterovirus names (EV71, EV-A71, EV-D68) do not count.
_EV = re.compile(
    r"(?i:\bexosom\w*|\bextracellular[\s-]+vesicles?\b|\bmicro-?vesicles?\b|\bsecretome\w*"
    r"|\bectosomes?\b|\bnano-?vesicles?\b)|\bEVs?\b(?!-)"
)
# Words saying that something is given to the participants.
_GIVEN = re.compile(
    r"(?i)\b(therap\w*|treat\w*|administ\w*|infus\w*|inject\w*|inhal\w*|nebuli[sz]\w*|"
    r"intravenous\w*|intrathecal|intra-?articular|topical\w*|eye[\s-]?drops?|nasal\w*|spray\w*|"
    r"transplant\w*|dos(?:e|es|ing)|effect of|efficacy|safety|tolerab\w*|applied|application)\b"
)
# Words saying that EVs are measured (biomarker, diagnosis, monitoring).
_MEASURED = re.compile(
    r"(?i)\b(biomarkers?|markers?|diagnos\w*|detect\w*|liquid biops\w*|levels?|profil\w*|"
    r"signatures?|quantif\w*|measur\w*|predict\w*|prognos\w*|monitor\w*|screen\w*|"
    r"expression|isolat\w*|analy[sz]\w*|sampl\w*|assay\w*|cargo)\b"
)
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n+")


@dataclass
class Classification:
    category: str
    reason: str
    rule: str
    matched: list[str] = field(default_factory=list)
    override: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _words(pattern: re.Pattern, text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in pattern.finditer(text or "")})


def _sentences(text: str | None) -> list[str]:
    return [s for s in _SENTENCE.split(text or "") if s.strip()]


def classify_trial(trial: dict[str, Any]) -> Classification:
    """Rules, in order (the first that applies decides):
    1. an intervention (not a diagnostic test) names EVs and does not read as a measurement
       -> therapeutic;
    2. the title names EVs with a word of giving (therapy, treatment, infusion...) and none of
       measuring -> therapeutic;
    3. a sentence of the summary or description names EVs with a word of giving and none of
       measuring -> therapeutic;
    4. EVs are named beside a word of measuring (biomarker, level, detection...) -> biomarker;
    5. otherwise (no EV word, or EVs only mentioned) -> unrelated."""
    interventions = trial.get("interventions") or []
    titles = " ".join(t for t in (trial.get("brief_title"), trial.get("official_title")) if t)
    measured_hits: list[tuple[str, list[str]]] = []

    for item in interventions:
        text = " ".join(x for x in (item.get("name"), item.get("description")) if x)
        ev = _words(_EV, text)
        if not ev:
            continue
        measured = _words(_MEASURED, text)
        if (item.get("type") or "").upper() == "DIAGNOSTIC_TEST" or (measured and not _words(_GIVEN, text)):
            measured_hits.append((_("intervention"), ev + measured))
            continue
        return Classification(
            THERAPEUTIC,
            _('intervention "{name}" ({type}) gives EVs').format(
                name=item.get("name"), type=item.get("type")
            ),
            "intervention",
            ev,
        )

    ev = _words(_EV, titles)
    if ev:
        given, measured = _words(_GIVEN, titles), _words(_MEASURED, titles)
        if given and not measured:
            return Classification(THERAPEUTIC, _("the title names EVs as a treatment"), "title", ev + given)
        if measured:
            measured_hits.append((_("title"), ev + measured))

    for part in ("brief_summary", "detailed_description"):
        for sentence in _sentences(trial.get(part)):
            ev = _words(_EV, sentence)
            if not ev:
                continue
            given, measured = _words(_GIVEN, sentence), _words(_MEASURED, sentence)
            if given and not measured:
                return Classification(
                    THERAPEUTIC,
                    _('the description says EVs are given: "{sentence}"').format(sentence=sentence[:160]),
                    "description",
                    ev + given,
                )
            if measured:
                measured_hits.append((_("description"), ev + measured))

    if measured_hits:
        where, words = measured_hits[0]
        return Classification(
            BIOMARKER,
            _("EVs are measured, not given ({where})").format(where=where),
            "measured",
            sorted(set(words)),
        )
    mentioned = _words(
        _EV, " ".join([titles, trial.get("brief_summary") or "", trial.get("detailed_description") or ""])
    )
    if mentioned:
        return Classification(
            UNRELATED, _("EVs are mentioned but neither given nor measured"), "mentioned", mentioned
        )
    return Classification(UNRELATED, _("no EV word in the title, interventions or descriptions"), "none", [])


def apply_override(result: Classification, override: dict[str, Any] | None) -> Classification:
    """A manual decision replaces the rule's category; the rule's reason stays in the record."""
    if not override:
        return result
    return Classification(
        override["category"],
        _("manual override by {who} on {when}: {why} (rule said {category}: {reason})").format(
            who=override["who"],
            when=override["when"],
            why=override["why"],
            category=result.category,
            reason=result.reason,
        ),
        "override",
        result.matched,
        dict(override),
    )
