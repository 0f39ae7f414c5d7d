"""Reads of the training area: the current version of a document, the qualification gate the lot
services ask before a step or a QC result is recorded, the training matrix, a person's record,
media fills, the work queue and the dashboard card.

The gate: a step that declares an SOP is recorded only by an operator trained on the SOP's current
version (its newest approved version; dossier approval supersedes the one before), the training in
effect on the step's day; an aseptic step also needs the operator's latest media fill on or before
that day passed and not yet lapsed. A QC result of an attribute that declares its method document
needs the analyst trained on that document's current version. Nothing declared, nothing gated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from evqms.accounts import roles
from evqms.audit.models import Signature
from evqms.core import readonce
from evqms.core.tasks import Task
from evqms.dossier.models import Document, ProcessStep, SpecAttribute
from evqms.errors import RuleViolation
from evqms.i18n import _
from evqms.training import models as m

REQUALIFY_WITHIN_DAYS = 30


class NotQualified(RuleViolation):
    """The person lacks a training or a media fill the record needs; `problems` names each."""

    def __init__(self, problems: list[str], *, where: str = ""):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.where = where


def current_version(code: str) -> Document | None:
    """The document's version in force: the newest approved one (approval supersedes the previous)."""
    return Document.objects.filter(code=code, status="approved").order_by("-version").first()


def _name(user) -> str:
    return user.signature_name()


@readonce.shared  # an import checks the same analyst and method on the same day for each of its rows
def training_problems(user, code: str, on: dt.date) -> list[str]:
    current = current_version(code)
    if current is None:
        return [_("{code} has no approved version: no one is trained on it yet").format(code=code)]
    active = list(
        m.TrainingRecord.objects.filter(person=user, document__code=code, status="active").select_related(
            "document"
        )
    )
    on_current = [t for t in active if t.document_id == current.pk]
    if on_current:
        first = min(t.effective_from for t in on_current)
        if first <= on:
            return []
        return [
            _("{name}'s training on {code} v{version} takes effect only on {date}").format(
                name=_name(user), code=code, version=current.version, date=first.isoformat()
            )
        ]
    older = sorted({t.document.version for t in active if t.document.version < current.version})
    if older:
        detail = _("current version; trained on v{old}").format(old=older[-1])
    else:
        detail = _("current version; no training recorded")
    return [
        _("{name} is not trained on {code} v{version} ({detail})").format(
            name=_name(user), code=code, version=current.version, detail=detail
        )
    ]


def latest_media_fill(user, on: dt.date | None = None) -> m.MediaFillParticipant | None:
    qs = m.MediaFillParticipant.objects.filter(operator=user).select_related("media_fill")
    if on is not None:
        qs = qs.filter(media_fill__performed_on__lte=on)
    return qs.order_by("-media_fill__performed_on", "-media_fill__number").first()


def media_fill_problems(user, on: dt.date) -> list[str]:
    latest = latest_media_fill(user, on)
    if latest is None:
        return [_("{name} has no media fill (aseptic process simulation) on record").format(name=_name(user))]
    if latest.result != "pass":
        return [
            _("{name} failed media fill {number} on {date}: requalification is required").format(
                name=_name(user),
                number=latest.media_fill.number,
                date=latest.media_fill.performed_on.isoformat(),
            )
        ]
    if latest.expires_on <= on:
        return [
            _("{name}'s media fill qualification expired on {date}").format(
                name=_name(user), date=latest.expires_on.isoformat()
            )
        ]
    return []


def qualification_problems(
    user, *, step: ProcessStep | None = None, attribute: SpecAttribute | None = None, on: dt.date
) -> list[str]:
    """What `user` lacks to record `step` or a result of `attribute` on day `on`, each a sentence
    naming it; empty when nothing is missing (or nothing is declared)."""
    problems: list[str] = []
    if step is not None and step.sop:
        problems += training_problems(user, step.sop, on)
        if step.aseptic:
            problems += media_fill_problems(user, on)
    if attribute is not None and attribute.method_sop:
        problems += training_problems(user, attribute.method_sop, on)
    return problems


def require_qualified(user, *, step=None, attribute=None, on: dt.date, where: str = "") -> None:
    """Raise NotQualified naming everything missing (the lot services call this before writing)."""
    problems = qualification_problems(user, step=step, attribute=attribute, on=on)
    if problems:
        raise NotQualified(problems, where=where)


def aseptic_steps_without_sop():
    """Aseptic steps of processes in use or in draft that declare no SOP: nobody is gated on them."""
    return (
        ProcessStep.objects.filter(aseptic=True, sop="")
        .exclude(process__status="superseded")
        .select_related("process__product")
        .order_by("process__product__code", "process__version", "order")
    )


# --- the matrix ---------------------------------------------------------------------------------

CURRENT, OUTDATED, MISSING = "current", "outdated", "missing"


@dataclass
class Cell:
    state: str  # current / outdated / missing
    record: m.TrainingRecord | None = None  # the record behind "current" or the newest behind "outdated"


@dataclass
class Matrix:
    documents: list[Document]  # the current version of each code
    rows: list[tuple[object, list[Cell]]] = field(default_factory=list)


@readonce.shared
def training_documents():
    """The documents people are trained on: every SOP and every code a step or attribute declares,
    each as its current version."""
    declared = set(ProcessStep.objects.exclude(sop="").values_list("sop", flat=True))
    declared |= set(SpecAttribute.objects.exclude(method_sop="").values_list("method_sop", flat=True))
    approved = Document.objects.filter(status="approved").filter(Q(kind="sop") | Q(code__in=declared))
    return list(approved.order_by("code"))


def trainees():
    """People who may need training: operators, analysts and QA, and anyone with a record."""
    User = get_user_model()
    staff = Q(groups__name__in=[roles.OPERATOR, roles.QC_ANALYST, roles.QA_REVIEWER])
    return (
        User.objects.filter(is_active=True)
        .filter(staff | Q(trainings__isnull=False))
        .distinct()
        .order_by("username")
    )


def matrix(*, document: str = "", person: str = "", on: dt.date | None = None) -> Matrix:
    on = on or timezone.localdate()
    docs = training_documents()
    if document:
        docs = [d for d in docs if d.code == document]
    people = list(trainees())
    if person:
        people = [p for p in people if p.get_username() == person]
    records = m.TrainingRecord.objects.filter(
        status="active", person__in=people, document__code__in=[d.code for d in docs]
    ).select_related("document")
    by_key: dict[tuple[int, str], list[m.TrainingRecord]] = {}
    for r in records:
        by_key.setdefault((r.person_id, r.document.code), []).append(r)
    out = Matrix(documents=docs)
    for p in people:
        cells = []
        for d in docs:
            have = by_key.get((p.pk, d.code), [])
            now = [r for r in have if r.document_id == d.pk and r.effective_from <= on]
            older = sorted(
                (r for r in have if r.document.version < d.version), key=lambda r: -r.document.version
            )
            if now:
                cells.append(Cell(CURRENT, now[0]))
            elif older:
                cells.append(Cell(OUTDATED, older[0]))
            else:
                cells.append(Cell(MISSING))
        out.rows.append((p, cells))
    return out


def person_trainings(person):
    return (
        m.TrainingRecord.objects.filter(person=person)
        .select_related("document", "trainer", "recorded_by", "revoked_by")
        .order_by("document__code", "-document__version", "-trained_on")
    )


def person_media_fills(person):
    return (
        m.MediaFillParticipant.objects.filter(operator=person)
        .select_related("media_fill")
        .order_by("-media_fill__performed_on", "-media_fill__number")
    )


def media_fills():
    return m.MediaFill.objects.prefetch_related("participants__operator").order_by("-performed_on", "-number")


def get_media_fill(pk: int) -> m.MediaFill | None:
    return media_fills().filter(pk=pk).first()


def qualification_status(person, on: dt.date | None = None) -> dict:
    """The person's aseptic qualification on `on`: the latest media fill and the problem, if any."""
    on = on or timezone.localdate()
    return {"latest": latest_media_fill(person, on), "problems": media_fill_problems(person, on)}


# --- the work queue -------------------------------------------------------------------------------


def _approved_on(documents) -> dict[int, dt.datetime]:
    """When each document version was approved (its approval signature)."""
    ids = [str(d.pk) for d in documents]
    out: dict[int, dt.datetime] = {}
    for oid, at in Signature.objects.filter(
        object_type="document", meaning="approval", object_id__in=ids
    ).values_list("object_id", "signed_at"):
        out[int(oid)] = at
    return out


@readonce.shared
def outstanding_trainings(person=None) -> list[tuple[object, Document, m.TrainingRecord]]:
    """(person, current version, their newest record on an older version) for every person trained
    on an earlier version of a document whose newer version is now in force."""
    docs = {d.code: d for d in training_documents()}
    qs = m.TrainingRecord.objects.filter(status="active", document__code__in=list(docs)).select_related(
        "document", "person"
    )
    if person is not None:
        qs = qs.filter(person=person)
    newest: dict[tuple[int, str], m.TrainingRecord] = {}
    current: set[tuple[int, str]] = set()
    for r in qs:
        key = (r.person_id, r.document.code)
        if r.document_id == docs[r.document.code].pk:
            current.add(key)
        elif key not in newest or r.document.version > newest[key].document.version:
            newest[key] = r
    return [
        (r.person, docs[code], r)
        for (pid, code), r in sorted(newest.items(), key=lambda kv: (kv[1].person.username, kv[0][1]))
        if (pid, code) not in current and r.person.is_active
    ]


@readonce.shared
def requalifications_due(person=None, *, today: dt.date | None = None) -> list[m.MediaFillParticipant]:
    """Each operator's latest media fill when it lapses within REQUALIFY_WITHIN_DAYS, has lapsed, or failed."""
    today = today or timezone.localdate()
    qs = m.MediaFillParticipant.objects.select_related("media_fill", "operator").order_by(
        "operator_id", "-media_fill__performed_on", "-media_fill__number"
    )
    if person is not None:
        qs = qs.filter(operator=person)
    latest: dict[int, m.MediaFillParticipant] = {}
    for p in qs:
        latest.setdefault(p.operator_id, p)
    horizon = today + dt.timedelta(days=REQUALIFY_WITHIN_DAYS)
    return [
        p for p in latest.values() if p.operator.is_active and (p.result != "pass" or p.expires_on <= horizon)
    ]


def tasks_for(user) -> list[Task]:
    """Trainings due on new document versions and media fill requalifications due within 30 days
    or lapsed: the person's own, and everyone's for QA, who records them."""
    if not user.has_perm("training.view"):
        return []
    keeps_file = user.has_perm("training.record_training")
    signs_fills = user.has_perm("training.record_media_fill")
    tasks: list[Task] = []
    due = outstanding_trainings(None if keeps_file else user)
    approved = _approved_on([doc for _p, doc, _r in due])
    for person, doc, old in due:
        mine = person.pk == user.pk
        title = (
            _("Be trained on {code} v{version} (trained on v{old})")
            if mine
            else _("Train {name} on {code} v{version} (trained on v{old})")
        ).format(name=person.signature_name(), code=doc.code, version=doc.version, old=old.document.version)
        url = reverse("training:record") + f"?person={person.get_username()}&document={doc.pk}"
        if mine and not keeps_file:
            url = reverse("training:person", args=[person.get_username()])
        tasks.append(Task("training.due", title, url, approved.get(doc.pk), _("Training")))
    for p in requalifications_due(None if signs_fills else user):
        mine = p.operator_id == user.pk
        if p.result != "pass":
            title = _("Requalify {name}: media fill {number} failed").format(
                name=p.operator.signature_name(), number=p.media_fill.number
            )
            due_on = p.media_fill.performed_on
        else:
            title = (
                _("Your media fill qualification lapses on {date}")
                if mine and not signs_fills
                else _("Media fill requalification of {name} (lapses on {date})")
            ).format(name=p.operator.signature_name(), date=p.expires_on.isoformat())
            due_on = p.expires_on
        url = reverse("training:media-fill-record") if signs_fills else reverse("training:media-fill-list")
        tasks.append(Task("media_fill.requalify", title, url, due_on, _("Training")))
    return tasks


def dashboard_card(user) -> dict | None:
    if not user.has_perm("training.view"):
        return None
    today = timezone.localdate()
    lapsed = [p for p in requalifications_due() if p.result != "pass" or p.expires_on <= today]
    outdated = len(outstanding_trainings())
    caption = _("trainings due on new versions; {n} media fill qualifications lapsed").format(n=len(lapsed))
    return {"title": _("Training"), "value": outdated, "caption": caption, "url_name": "training:matrix"}
