"""ClinicalTrials.gov API v2 study records: load saved JSON, normalise, bucket by phase.

A normalised trial is a plain dict (JSON-ready, so the store can write it as one JSONL line and
the Django app can later copy it into a model). One bad study never stops a load: it becomes a
`Problem` naming the file and the record, and the other studies go on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from evqms.core.limits import JSON_HOOKS, check_json_depth
from evqms.errors import InputError, location
from evqms.i18n import _

# The seed's buckets, in its order (plus the two it leaves out of its total).
BUCKETS = (
    "Early Phase 1",
    "Phase 1",
    "Phase 1/2",
    "Phase 2",
    "Phase 2/3",
    "Phase 3",
    "Phase 4",
    "Not applicable",
)
LATE_PHASE_BUCKETS = ("Phase 2/3", "Phase 3", "Phase 4")

# API v2 `designModule.phases` (enum Phase) -> bucket; a multi-phase study is counted once.
_PHASE_SETS = {
    frozenset({"EARLY_PHASE1"}): "Early Phase 1",
    frozenset({"PHASE1"}): "Phase 1",
    frozenset({"PHASE1", "PHASE2"}): "Phase 1/2",
    frozenset({"PHASE2"}): "Phase 2",
    frozenset({"PHASE2", "PHASE3"}): "Phase 2/3",
    frozenset({"PHASE3"}): "Phase 3",
    frozenset({"PHASE4"}): "Phase 4",
    frozenset({"NA"}): "Not applicable",
    frozenset(): "Not applicable",
}
_NCT = re.compile(r"^NCT\d{8}$")
# Top-level keys of the retired classic API (PascalCase, list wrappers).
_CLASSIC_KEYS = ("FullStudiesResponse", "StudyFieldsResponse", "FullStudy", "Study")


class RecordError(ValueError):
    """A study record that cannot be normalised (the message says which field)."""


@dataclass
class Problem:
    """A record (or file) left out of a load, or kept with a caveat, and why."""

    where: str
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Loaded:
    trials: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total_count: int | None = None  # `totalCount` of a search page, when present
    next_page_token: str | None = None


def phase_bucket(phases: list[str] | None, study_type: str | None = None) -> str:
    """Bucket of a study's phases, exactly as the seed reports them.

    >>> phase_bucket(["PHASE1", "PHASE2"])
    'Phase 1/2'
    """
    values = frozenset(p.strip().upper() for p in (phases or []))
    try:
        return _PHASE_SETS[values]
    except KeyError:
        raise RecordError(
            _("unknown phase combination {phases}").format(phases=", ".join(sorted(values)))
        ) from None


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _date(struct: Any) -> str | None:
    return struct.get("date") if isinstance(struct, dict) else None


def normalise_study(study: Any) -> tuple[dict[str, Any], list[str]]:
    """One API v2 study -> (normalised trial, caveats). Raises RecordError when unusable."""
    if not isinstance(study, dict):
        raise RecordError(_("a study must be a JSON object"))
    protocol = study.get("protocolSection")
    if not isinstance(protocol, dict):
        raise RecordError(_('missing module "protocolSection"'))
    ident = protocol.get("identificationModule")
    if not isinstance(ident, dict):
        raise RecordError(_('missing module "protocolSection.identificationModule"'))
    nct_id = ident.get("nctId")
    if not isinstance(nct_id, str) or not _NCT.match(nct_id):
        raise RecordError(_('missing or malformed "nctId": {value}').format(value=json.dumps(nct_id)))
    caveats: list[str] = []
    for module in ("statusModule", "designModule"):
        if not isinstance(protocol.get(module), dict):
            caveats.append(_('missing module "{module}"').format(module=module))
    design = protocol.get("designModule") or {}
    study_type = design.get("studyType")
    phases = list(design.get("phases") or [])
    bucket = phase_bucket(phases, study_type)
    status = protocol.get("statusModule") or {}
    interventions = [
        {"type": i.get("type"), "name": i.get("name"), "description": i.get("description")}
        for i in _get(protocol, "armsInterventionsModule", "interventions") or []
        if isinstance(i, dict)
    ]
    locations = _get(protocol, "contactsLocationsModule", "locations") or []
    countries = sorted({loc["country"] for loc in locations if isinstance(loc, dict) and loc.get("country")})
    enrollment = design.get("enrollmentInfo") or {}
    trial = {
        "nct_id": nct_id,
        "brief_title": ident.get("briefTitle"),
        "official_title": ident.get("officialTitle"),
        "acronym": ident.get("acronym"),
        "overall_status": status.get("overallStatus"),
        "last_known_status": status.get("lastKnownStatus"),
        "study_type": study_type,
        "phases": phases,
        "phase_bucket": bucket,
        "conditions": list(_get(protocol, "conditionsModule", "conditions") or []),
        "keywords": list(_get(protocol, "conditionsModule", "keywords") or []),
        "interventions": interventions,
        "brief_summary": _get(protocol, "descriptionModule", "briefSummary"),
        "detailed_description": _get(protocol, "descriptionModule", "detailedDescription"),
        "start_date": _date(status.get("startDateStruct")),
        "primary_completion_date": _date(status.get("primaryCompletionDateStruct")),
        "completion_date": _date(status.get("completionDateStruct")),
        "sponsor": _get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name"),
        "countries": countries,
        "enrollment": enrollment.get("count"),
        "enrollment_type": enrollment.get("type"),
        "version_date": _get(study, "derivedSection", "miscInfoModule", "versionHolder"),
    }
    return trial, caveats


def is_classic(data: Any) -> bool:
    """True for a record of the retired classic API (PascalCase keys)."""
    return isinstance(data, dict) and any(key in data for key in _CLASSIC_KEYS)


def parse_json(raw: bytes, name: str) -> Any:
    """Decode JSON, naming the file, line and column of a syntax error."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(_("not UTF-8 text (byte {pos})").format(pos=exc.start), where=name) from None
    check_json_depth(text, name=name)  # bounded: depth, NaN, 100k-digit numbers (evqms.core.limits)
    try:
        return json.loads(text, **JSON_HOOKS)
    except json.JSONDecodeError as exc:
        raise InputError(
            _("malformed JSON at character {column}: {reason}").format(column=exc.colno, reason=exc.msg),
            where=location(file=name, line=exc.lineno),
        ) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(_("not valid JSON: {reason}").format(reason=str(exc)[:200]), where=name) from None


def load_studies(raw: bytes, name: str) -> Loaded:
    """Saved API v2 JSON -> normalised trials. Accepts a single study (`GET /studies/{id}`),
    a search page (`{"studies": [...], "nextPageToken", "totalCount"}`) or a list of studies.
    A whole-file problem (malformed JSON, classic API) raises InputError."""
    data = parse_json(raw, name)
    if is_classic(data):
        raise InputError(
            _(
                "this is the retired classic ClinicalTrials.gov API format (PascalCase keys); "
                "download the records again from API v2 (/api/v2/studies) or use --online"
            ),
            where=name,
        )
    loaded = Loaded()
    if isinstance(data, dict) and "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            raise InputError(_('"studies" must be a list'), where=location(file=name, field="studies"))
        loaded.total_count = data.get("totalCount")
        loaded.next_page_token = data.get("nextPageToken")
    elif isinstance(data, dict) and "protocolSection" in data:
        studies = [data]
    elif isinstance(data, list):
        studies = data
    else:
        raise InputError(
            _("not a ClinicalTrials.gov API v2 study or search page (no protocolSection or studies)"),
            where=name,
        )
    for index, study in enumerate(studies, start=1):
        nct = _get(study, "protocolSection", "identificationModule", "nctId")
        where = _("{file}, study {index}").format(file=name, index=index)
        if isinstance(nct, str):
            where += f" ({nct})"
        try:
            trial, caveats = normalise_study(study)
        except RecordError as exc:
            loaded.problems.append(Problem(where, str(exc)))
            continue
        loaded.problems.extend(Problem(where, c, skipped=False) for c in caveats)
        loaded.trials.append(trial)
    return loaded


def latest_versions(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per NCT id, the one with the latest version date (later input wins a tie)."""
    best: dict[str, dict[str, Any]] = {}
    for trial in trials:
        old = best.get(trial["nct_id"])
        if old is None or (trial.get("version_date") or "") >= (old.get("version_date") or ""):
            best[trial["nct_id"]] = trial
    return [best[k] for k in sorted(best)]
