"""Demo compliance records for `ucmsc-sev-oa` (idempotent, through the services):

- a risk register from the starter hazards, scored, high risks linked to specification
  attributes and critical process parameters, approved by QA with a signature;
- the responsible physician's attestation for JSRM-1-SC citing that register;
- the QMS element links the dossier demo has documents for: its only controlled document,
  SOP-EV-001 "Aseptic processing of EV preparations", for the aseptic-processing element. The
  other elements (manufacturing SOPs, training, change control, deviations/CAPA, validation,
  self-inspection, facility) have no document in the demo and stay gaps;
- the comparability record of process v2 (the xeno-free change), approved by QA, once a released
  lot exists on each version (UCEV-24-001 on v1, UCEV-24-004 on v2): its summary is computed from
  the two lots' current release results and says it covers release testing only;
- a stored assessment against jsrm-2024 and one against evidence-collection, again whenever the
  evidence changed since the last one.

Upstream records come from the dossier and lots demos; without the product this does nothing.
Signing needs the demo users' passwords ($EVQMS_HOME/demo-logins.json, written by evqms.web.demo).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.conf import settings
from django.utils import timezone

from evqms.core.demo import signing_request

PRODUCT = "ucmsc-sev-oa"

# Starter hazard (English text) -> severity, occurrence, detectability, QC categories / critical
# parameters that control it ("cpp" = the critical parameters of the culture or purification steps).
SCORES = {
    "Infectious agents from the donor": (5, 1, 2, []),
    "Adventitious agents from animal-derived materials": (5, 2, 3, []),
    "Bovine EVs carried over from serum": (3, 3, 4, ["ev_marker"]),
    "Cross-contamination or misidentification of cells": (4, 1, 2, []),
    "Tumorigenicity of iPS-derived or immortalised sources": (4, 1, 3, []),
    "Microbial contamination": (5, 3, 2, ["sterility"]),
    "Mycoplasma contamination": (4, 2, 3, ["mycoplasma"]),
    "Drift of producing cells changes EV quality": (3, 3, 3, ["cpp:culture"]),
    "Endotoxin": (5, 3, 2, ["endotoxin"]),
    "Residual process reagents and impurities": (3, 2, 3, []),
    "Heterogeneity: non-EV particles and co-isolates": (
        4,
        4,
        4,
        ["size_distribution", "ev_marker", "cpp:purification"],
    ),
    "Loss of activity or aggregation in storage": (3, 3, 3, ["particle_concentration"]),
    "Mix-up of lots or containers": (4, 2, 2, []),
    "Cold-chain failure": (3, 2, 2, []),
    "Efficacy not supported by a relevant model": (3, 4, 4, ["potency"]),
    "Unknown biodistribution and off-target accumulation": (3, 3, 4, []),
    "Adverse events not traceable to the lot": (4, 2, 2, []),
    "Dosing error": (4, 2, 2, []),
    "Sepsis or infusion reaction": (5, 2, 2, ["sterility", "endotoxin"]),
    "Improper thawing or handling before use": (3, 2, 3, []),
}


def _note(message: str) -> None:
    print(f"compliance demo: {message}", file=sys.stderr)


def _passwords() -> dict:
    path = settings.EVQMS_HOME / "demo-logins.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _controls(product, wanted: list[str]):
    from evqms.compliance.snapshot import attribute_category
    from evqms.dossier.models import ProcessParameter, Specification

    spec = Specification.objects.filter(product=product, status="approved").order_by("-version").first()
    attributes = []
    if spec is not None:
        for a in spec.attributes.filter(stage="release").order_by("order", "id"):
            if attribute_category(a) in wanted:
                attributes.append(a)
    parameters = []
    for w in wanted:
        if w.startswith("cpp:"):
            kind = w.split(":", 1)[1]
            process = product.processes.filter(status="approved").order_by("-version").first()
            if process is not None:
                parameters += list(
                    ProcessParameter.objects.filter(step__process=process, step__kind=kind, critical=True)
                )
    return attributes, parameters


def load(users: dict, passwords: dict | None = None) -> None:
    from evqms.compliance import services
    from evqms.compliance.models import Assessment, Attestation, RiskRegister
    from evqms.dossier.models import Product
    from evqms.errors import EvqmsError

    product = Product.objects.filter(code=PRODUCT).select_related("responsible_physician").first()
    if product is None:
        _note(f"product {PRODUCT} missing: nothing loaded")
        return
    qa, physician = users.get("qa"), users.get("physician")
    passwords = passwords or _passwords()
    request = signing_request("/compliance/demo/")

    register = RiskRegister.objects.filter(product=product).order_by("-version").first()
    if register is None:
        register = services.create_register(actor=qa, product=product, with_starter_hazards=True)
        review = timezone.localdate() + dt.timedelta(days=365)
        for item in register.items.order_by("id"):
            s, o, d, wanted = SCORES.get(item.hazard, (3, 3, 3, []))
            attributes, parameters = _controls(product, wanted)
            services.update_risk_item(
                actor=qa,
                item=item,
                severity=s,
                occurrence=o,
                detectability=d,
                control_attributes=attributes,
                control_parameters=parameters,
                residual_risk="low" if attributes or parameters else "medium",
                status="mitigated" if attributes or parameters else "open",
                owner=qa,
                review_on=review,
                reason="demo: initial scoring",
            )
    if register.status == "draft" and passwords.get("qa"):
        try:
            register = services.approve_register(
                request=request, actor=qa, register=register, password=passwords["qa"], reason="demo"
            )
        except EvqmsError as exc:
            _note(f"risk register not approved: {exc}")

    if not Attestation.objects.filter(product=product, item_id="JSRM-1-SC").exists():
        if product.responsible_physician_id != getattr(physician, "pk", None):
            _note("the product's responsible physician is not the demo physician: no attestation")
        elif not passwords.get("physician"):
            _note("no password for the demo physician: no attestation")
        else:
            services.attest(
                request=request,
                actor=physician,
                product=product,
                item_id="JSRM-1-SC",
                role="responsible_physician",
                statement=(
                    "I have reviewed the quality data and the approved risk register of this preparation and "
                    "take responsibility for its scientific validity and patient safety."
                ),
                cites=[f"risk_register:{register.code}", f"product:{product.code}"],
                password=passwords["physician"],
            )

    _link_qms_documents(qa)
    if passwords.get("qa"):
        _comparability(product, qa, request, passwords["qa"])

    for ruleset_id in ASSESSED:
        latest = (
            Assessment.objects.filter(product=product, ruleset_id=ruleset_id)
            .order_by("-assessed_at", "-id")
            .first()
        )
        try:
            snapshot, _engine = services.evaluate(product, [ruleset_id])
            if latest is None or latest.snapshot_sha256 != snapshot.sha256():
                services.run_assessment(actor=qa, product=product, ruleset_refs=[ruleset_id])
        except EvqmsError as exc:
            _note(f"no {ruleset_id} assessment stored: {exc}")


# The rule sets the demo product is assessed against: the JSRM guidance and the evidence collection
# after administration (baselines, follow-ups, serious-event reports, the yearly summary).
ASSESSED = ("jsrm-2024", "evidence-collection")


# QMS element -> the dossier demo's document that covers it (only what the demo really holds).
QMS_LINKS = {"aseptic_processing": "SOP-EV-001"}


def _link_qms_documents(qa) -> None:
    from evqms.compliance import services
    from evqms.compliance.models import QMSElementDocument
    from evqms.dossier.models import Document

    for element, code in QMS_LINKS.items():
        document = Document.objects.filter(code=code, status="approved").order_by("-version").first()
        if document is None:
            _note(f"no approved {code}: QMS element {element} left without a document")
            continue
        if not QMSElementDocument.objects.filter(element=element, document=document).exists():
            services.link_qms_document(
                actor=qa,
                element=element,
                document=document,
                review_due=timezone.localdate() + dt.timedelta(days=365),
            )


def _comparability(product, qa, request, password) -> None:
    """Process v2's comparability record, summarised from the release results of one lot per version."""
    from evqms.compliance import services
    from evqms.compliance.models import ComparabilityRecord
    from evqms.dossier.models import ProcessDefinition
    from evqms.lots.models import Lot
    from evqms.lots.selectors import current_results

    v2 = ProcessDefinition.objects.filter(product=product, version=2, status="approved").first()
    if v2 is None or ComparabilityRecord.objects.filter(process=v2).exists():
        return
    lots = {
        version: Lot.objects.filter(product=product, process__version=version, status="released")
        .order_by("manufactured_on", "number")
        .first()
        for version in (1, 2)
    }
    if None in lots.values():
        _note("no released lot on each of process v1 and v2: no comparability record")
        return
    verdicts = {}
    for version, lot in lots.items():
        for entry in current_results(lot):
            verdicts.setdefault(entry["attribute"].code, {})[version] = (
                entry["result"].verdict if entry["result"] else None
            )
    both = sorted(code for code, v in verdicts.items() if v.get(1) == v.get(2) == "pass")
    summary = (
        f"Release results of {lots[1].number} (process v1, fetal bovine serum) and {lots[2].number} "
        f"(process v2, xeno-free): {len(both)} of {len(verdicts)} specification attributes pass on both "
        f"lots ({', '.join(both)}). Release testing only: no extended characterisation, stability or "
        "potency-curve comparison yet."
    )
    services.approve_comparability(request=request, actor=qa, process=v2, summary=summary, password=password)
