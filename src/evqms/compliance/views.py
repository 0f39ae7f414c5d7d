"""Compliance pages: products with their latest score, the compliance page of a product (every
item with status, reasons, evidence links and next steps; scores per part; what changed), its
report (PDF/HTML, either language), the risk register and the signing dialogs.

Views parse input and show results; the services check roles again and decide.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evqms import errors
from evqms.audit.services import SignatureRefused
from evqms.compliance import forms, selectors, services
from evqms.compliance.models import Assessment, RiskItem
from evqms.core.pdf_views import pdf_view
from evqms.core.timefmt import local_date
from evqms.guidance import risk
from evqms.guidance import ruleset as rulesets
from evqms.guidance.report import STATUS_LABELS
from evqms.guidance.ruleset import LEVELS
from evqms.guidance.text import evidence_label


def _need(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _lang() -> str:
    return "ja" if (get_language() or "ja").startswith("ja") else "en"


def _product(code: str):
    from evqms.dossier.models import Product

    return get_object_or_404(Product.objects.select_related("responsible_physician"), code=code)


def _attach(form, exc: errors.InputError) -> None:
    field = exc.where if exc.where in form.fields else None
    form.add_error(field, exc.message)


# --- index ------------------------------------------------------------------------------------


def index(request):
    _need(request, "compliance.view")
    rows = []
    for product, latest in selectors.latest_per_product().items():
        rows.append({"product": product, "latest": latest})
    return render(
        request,
        "compliance/index.html",
        {
            "rows": rows,
            "ruleset_id": selectors.DEFAULT_RULESET,
            "can_run": request.user.has_perm("compliance.run_assessment"),
        },
    )


# --- the compliance page of a product -----------------------------------------------------------


def _items(stored: Assessment, product, lang: str) -> list[dict]:
    out = []
    for i in stored.findings["items"]:
        out.append(
            {
                "id": i["id"],
                "section": i["section"],
                "level": LEVELS.get(i["level"], {}).get(lang, i["level"]),
                "text": i["text"].get(lang, i["text"]["en"]),
                "status": i["status"],
                "status_label": STATUS_LABELS[i["status"]][lang],
                "reasons": [r.get(lang, r["en"]) for r in i["reasons"]],
                "evidence": [
                    {"ref": evidence_label(e, lang), "url": selectors.evidence_url(e, product)}
                    for e in i["evidence"]
                ],
                "next_steps": [s.get(lang, s["en"]) for s in i["next_steps"]],
                "needs_attestation": i["status"] == "needs_attestation",
                "interpretation": (i.get("interpretation") or {}).get(lang, ""),
            }
        )
    return out


def _attestation_items(ruleset_id: str) -> list[str]:
    try:
        rs = rulesets.load(ruleset_id)
    except errors.InputError:
        return []
    return [i.id for i in rs.items if any(c.name == "attestation" for c in i.checks)]


def product_page(request, code, attest_form=None, qms_form=None, cmp_form=None, dialog="", status=200):
    _need(request, "compliance.view")
    product = _product(code)
    lang = _lang()
    ruleset_id = request.GET.get("ruleset") or selectors.DEFAULT_RULESET
    history = list(selectors.assessments_for(product, ruleset_id)[:20])
    stored = history[0] if history else None
    previous = history[1] if len(history) > 1 else None
    context = {
        "product": product,
        "ruleset_id": ruleset_id,
        "rulesets": sorted(set(rulesets.available()) | set(selectors.ruleset_ids_assessed(product))),
        "stored": stored,
        "history": history,
        "can_run": request.user.has_perm("compliance.run_assessment"),
        "can_attest": request.user.has_perm("compliance.attest"),
        "attestations": selectors.attestations_for(product),
        "register": selectors.current_register(product),
        "dialog": dialog or ("attest" if attest_form is not None and attest_form.errors else ""),
    }
    context.update(_qms_context(request, product, qms_form, cmp_form))
    if stored is not None:
        titles = {p["part"]: p for p in selectors.part_scores(stored)}
        items = _items(stored, product, lang)
        parts = []
        for part, row in titles.items():
            parts.append(
                {
                    "title": row["title"].get(lang, part),
                    "score": row["score"],
                    "counts": row["counts"],
                    "items": [
                        i
                        for i, raw in zip(items, stored.findings["items"], strict=True)
                        if raw["part"] == part
                    ],
                }
            )
        change = selectors.diff(previous, stored)
        statuses = {i["id"]: i["status"] for i in stored.findings["items"]}
        for c in change["items"]:
            c["before_label"] = STATUS_LABELS[c["before"]][lang] if c["before"] else "—"
            c["after_label"] = STATUS_LABELS[c["after"]][lang]
        context.update(
            {
                "parts": parts,
                "change": change,
                "statuses": [(s, STATUS_LABELS[s][lang]) for s in STATUS_LABELS],
                "counts": stored.findings["summary"]["by_status"],
                "ruleset_title": stored.findings["ruleset"]["title"].get(lang, stored.ruleset_id),
                "open_items": sum(1 for s in statuses.values() if s not in ("met", "not_applicable")),
            }
        )
    if context["can_attest"]:
        items = _attestation_items(ruleset_id if stored else selectors.DEFAULT_RULESET)
        citable = services.citable_records(product)
        context["attest_form"] = attest_form or forms.AttestationForm(
            items=items,
            citable=citable,
            initial={
                "item_id": items[0] if items else "",
                "cites": [c for c in citable if c.startswith("risk_register:")],
            },
        )
        context["attest_ruleset"] = ruleset_id if items else selectors.DEFAULT_RULESET
    return render(request, "compliance/product.html", context, status=status)


@require_POST
def assess_now(request, code):
    _need(request, "compliance.run_assessment")
    product = _product(code)
    ruleset_id = request.POST.get("ruleset") or selectors.DEFAULT_RULESET
    try:
        rows = services.run_assessment(actor=request.user, product=product, ruleset_refs=[ruleset_id])
    except errors.InputError as exc:
        messages.error(request, _("Not assessed: {reason}").format(reason=str(exc)))
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    else:
        stored, engine = rows[0]
        score = "—" if stored.score is None else f"{stored.score:.1f}"
        messages.success(
            request,
            _("Assessed against {ruleset}: score {score}.").format(ruleset=stored.ruleset_id, score=score),
        )
    return redirect(reverse("compliance:product", args=[product.code]) + f"?ruleset={ruleset_id}")


@require_POST
def attest(request, code):
    _need(request, "compliance.attest")
    product = _product(code)
    ruleset_id = request.POST.get("ruleset") or selectors.DEFAULT_RULESET
    citable = services.citable_records(product)
    form = forms.AttestationForm(request.POST, items=_attestation_items(ruleset_id), citable=citable)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.attest(
                request=request,
                actor=request.user,
                product=product,
                item_id=d["item_id"],
                role=d["role"],
                statement=d["statement"],
                cites=d["cites"],
                password=d["password"],
                ruleset_id=ruleset_id,
            )
        except errors.InputError as exc:
            _attach(form, exc)
        except (errors.RuleViolation, errors.PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Attestation for {item} signed. Assess again to see its effect.").format(item=d["item_id"]),
            )
            return redirect(reverse("compliance:product", args=[product.code]) + "#attestations")
    return product_page(request, code, attest_form=form, status=400)


# --- QMS documents and comparability ------------------------------------------------------------


def _qms_context(request, product, qms_form=None, cmp_form=None) -> dict:
    can_manage = request.user.has_perm("compliance.manage_qms_links")
    context = {
        "qms_links": selectors.qms_links(),
        "comparability": selectors.comparability_rows(product),
        "can_manage_qms": can_manage,
    }
    if can_manage:
        documents = selectors.linkable_documents()
        awaiting = selectors.processes_awaiting_comparability(product)
        context["qms_form"] = qms_form or forms.QMSLinkForm(documents=documents)
        context["cmp_form"] = cmp_form or forms.ComparabilityForm(
            processes=awaiting, documents=documents, initial={"process": awaiting.first()}
        )
        context["cmp_open"] = awaiting.exists()
    return context


@require_POST
def qms_link(request, code):
    _need(request, "compliance.manage_qms_links")
    product = _product(code)
    form = forms.QMSLinkForm(request.POST, documents=selectors.linkable_documents())
    if form.is_valid():
        d = form.cleaned_data
        try:
            link = services.link_qms_document(
                actor=request.user, element=d["element"], document=d["document"], review_due=d["review_due"]
            )
        except errors.InputError as exc:
            _attach(form, exc)
        except errors.RuleViolation as exc:
            form.add_error("document", str(exc))
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(
                request,
                _("{document} linked to {element}. Assess again to see its effect.").format(
                    document=link.document, element=link.get_element_display()
                ),
            )
            return redirect(reverse("compliance:product", args=[product.code]) + "#qms-documents")
    return product_page(request, code, qms_form=form, status=400)


@require_POST
def comparability_approve(request, code):
    _need(request, "compliance.manage_qms_links")
    product = _product(code)
    documents = selectors.linkable_documents()
    form = forms.ComparabilityForm(
        request.POST,
        processes=selectors.processes_awaiting_comparability(product),
        documents=documents,
    )
    if form.is_valid():
        d = form.cleaned_data
        try:
            record = services.approve_comparability(
                request=request,
                actor=request.user,
                process=d["process"],
                summary=d["summary"],
                password=d["password"],
                document=d["document"],
            )
        except errors.InputError as exc:
            _attach(form, exc)
        except SignatureRefused as exc:
            form.add_error("password", str(exc))
        except errors.RuleViolation as exc:
            form.add_error("process", str(exc))
        except errors.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(
                request,
                _(
                    "Comparability of process version {version} approved and signed. "
                    "Assess again to see its effect."
                ).format(version=record.process.version),
            )
            return redirect(reverse("compliance:product", args=[product.code]) + "#comparability")
    return product_page(request, code, cmp_form=form, dialog="comparability", status=400)


@pdf_view
def report(request, code, fmt):
    _need(request, "compliance.view")
    if fmt not in ("pdf", "html"):
        raise Http404
    product = _product(code)
    ruleset_id = request.GET.get("ruleset") or selectors.DEFAULT_RULESET
    stored = selectors.assessments_for(product, ruleset_id).first()
    if stored is None:
        raise Http404
    lang = request.GET.get("lang") or _lang()
    if lang not in ("en", "ja"):
        lang = "en"
    from evqms.compliance.reporting import render_stored

    body = render_stored(stored, lang, fmt)
    day = local_date(stored.assessed_at)  # the day it was assessed where the reader is, not in UTC
    filename = f"compliance-{product.code}-{stored.ruleset_id}-{day:%Y%m%d}-{lang}.{fmt}"
    if fmt == "pdf":
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    else:
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
    return response


# --- risk register ------------------------------------------------------------------------------


def register_page(request, code, item_form=None, none_form=None, approve_form=None, dialog="", status=200):
    _need(request, "compliance.view")
    product = _product(code)
    lang = _lang()
    register = selectors.current_register(product)
    can_edit = request.user.has_perm("compliance.edit_risk_register")
    # Starter hazards are stored in English; show the guidance's own Japanese text when it is one.
    starter = {}
    for h in risk.STARTER_HAZARDS:
        for field in ("hazard", "cause", "suggested_control"):
            starter[getattr(h, field)["en"]] = getattr(h, field)[lang]
    items = []
    if register is not None:
        for item in register.items.select_related("owner").prefetch_related(
            "control_attributes__specification", "control_parameters__step"
        ):
            items.append(
                {
                    "obj": item,
                    "stage": risk.STAGES[item.stage][lang],
                    "hazard": starter.get(item.hazard, item.hazard),
                    "cause": starter.get(item.cause, item.cause),
                    "control_notes": starter.get(item.control_notes, item.control_notes),
                    "controls": [
                        f"{a.name} (v{a.specification.version})" for a in item.control_attributes.all()
                    ]
                    + [f"{p.step.name} / {p.name}" for p in item.control_parameters.all()],
                    "unlinked_high": item.risk_class == "high"
                    and not item.control_attributes.exists()
                    and not item.control_parameters.exists(),
                    "starter_score": item.source
                    and (item.severity, item.occurrence, item.detectability) == services.STARTER_SCORE,
                }
            )
    stages_covered = {i["obj"].stage for i in items} | set(
        (register.none_identified or {}) if register else {}
    )
    signature = register.approval_signature if register else None
    return render(
        request,
        "compliance/register.html",
        {
            "product": product,
            "register": register,
            "items": items,
            "signature": signature,
            "none_identified": [
                (risk.STAGES.get(s, {}).get(lang, s), r)
                for s, r in sorted((register.none_identified or {}).items())
            ]
            if register
            else [],
            "missing_stages": [names[lang] for s, names in risk.STAGES.items() if s not in stages_covered],
            "can_edit": can_edit and register is not None and register.status == "draft",
            "can_create": can_edit and (register is None or register.status != "draft"),
            "can_approve": request.user.has_perm("compliance.approve_risk_register")
            and register is not None
            and register.status == "draft",
            "item_form": item_form or forms.RiskItemForm(product=product, lang=lang),
            "none_form": none_form or forms.NoneIdentifiedForm(lang=lang),
            "approve_form": approve_form or forms.SignForm(prefix="approve"),
            "dialog": dialog,
            "versions": product.risk_registers.order_by("-version"),
        },
        status=status,
    )


@require_POST
def register_create(request, code):
    _need(request, "compliance.edit_risk_register")
    product = _product(code)
    try:
        register = services.create_register(
            actor=request.user, product=product, with_starter_hazards=request.POST.get("starter") == "1"
        )
    except (errors.RuleViolation, errors.InputError) as exc:
        messages.error(request, str(exc))
    except errors.PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    else:
        messages.success(
            request, _("Risk register version {version} started.").format(version=register.version)
        )
    return redirect("compliance:register", code=product.code)


@require_POST
def register_starter(request, code):
    _need(request, "compliance.edit_risk_register")
    product = _product(code)
    register = selectors.current_register(product)
    if register is None:
        raise Http404
    try:
        added = services.add_starter_hazards(actor=request.user, register=register)
    except (errors.RuleViolation, errors.InputError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("{n} starter hazards added: score them.").format(n=len(added)))
    return redirect("compliance:register", code=product.code)


@require_POST
def item_add(request, code):
    _need(request, "compliance.edit_risk_register")
    product = _product(code)
    register = selectors.current_register(product)
    if register is None:
        raise Http404
    form = forms.RiskItemForm(request.POST, product=product, lang=_lang())
    if form.is_valid():
        try:
            item = services.add_risk_item(actor=request.user, register=register, **form.cleaned_data)
        except errors.InputError as exc:
            _attach(form, exc)
        except errors.RuleViolation as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Risk {code} added.").format(code=item.code))
            return redirect("compliance:register", code=product.code)
    return register_page(request, code, item_form=form, status=400)


@require_POST
def item_update(request, code, pk):
    _need(request, "compliance.edit_risk_register")
    product = _product(code)
    item = get_object_or_404(RiskItem, pk=pk, register__product=product)
    form = forms.RiskItemForm(request.POST, product=product, lang=_lang())
    if form.is_valid():
        try:
            services.update_risk_item(actor=request.user, item=item, **form.cleaned_data)
        except errors.InputError as exc:
            _attach(form, exc)
        except errors.RuleViolation as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Risk {code} updated.").format(code=item.code))
            return redirect("compliance:register", code=product.code)
    messages.error(
        request, _("Risk {code} not updated: {errors}").format(code=item.code, errors=form.errors.as_text())
    )
    return redirect("compliance:register", code=product.code)


@require_POST
def none_identified(request, code):
    _need(request, "compliance.edit_risk_register")
    product = _product(code)
    register = selectors.current_register(product)
    if register is None:
        raise Http404
    form = forms.NoneIdentifiedForm(request.POST, lang=_lang())
    if form.is_valid():
        try:
            services.set_none_identified(actor=request.user, register=register, **form.cleaned_data)
        except errors.InputError as exc:
            _attach(form, exc)
        except errors.RuleViolation as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("compliance:register", code=product.code)
    return register_page(request, code, none_form=form, status=400)


@require_POST
def register_approve(request, code):
    _need(request, "compliance.approve_risk_register")
    product = _product(code)
    register = selectors.current_register(product)
    if register is None:
        raise Http404
    form = forms.SignForm(request.POST, prefix="approve")
    if form.is_valid():
        try:
            services.approve_register(
                request=request,
                actor=request.user,
                register=register,
                password=form.cleaned_data["password"],
                reason=form.cleaned_data["reason"],
            )
        except errors.InputError as exc:
            _attach(form, exc)
        except (errors.RuleViolation, errors.PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Risk register version {version} approved and signed.").format(version=register.version),
            )
            return redirect("compliance:register", code=product.code)
    return register_page(request, code, approve_form=form, dialog="approve", status=400)
