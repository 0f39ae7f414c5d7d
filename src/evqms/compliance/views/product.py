"""The compliance page of a product: products with their latest score, every item with status,
reasons, evidence links and next steps, scores per part, what changed; its report (PDF/HTML,
either language); the attestation, QMS-document and comparability dialogs.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evqms import errors
from evqms.audit.services import SignatureRefused
from evqms.compliance import forms, selectors, services
from evqms.compliance.models import QMS_ELEMENTS
from evqms.compliance.reporting import render_json_stored, render_stored
from evqms.compliance.views import product_or_404
from evqms.core.pdf_views import pdf_view
from evqms.core.timefmt import local_date
from evqms.core.views import attempt, page_language, require
from evqms.guidance import ruleset as rulesets
from evqms.guidance.report import STATUS_LABELS, not_listed
from evqms.guidance.ruleset import LEVELS
from evqms.guidance.text import evidence_label

# --- index ------------------------------------------------------------------------------------


def index(request):
    require(request, "compliance.view")
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


def _items(shown: dict, product, lang: str) -> list[dict]:
    """The stored findings as the page shows them (`selectors.findings_shown`). A check judged lot
    by lot gives one reason and one evidence link per lot or administration (20,000 at 1,000 lots);
    like the PDF and HTML reports, the page lists the first REASONS_SHOWN of each and counts the
    rest, which the JSON report lists."""
    out = []
    for i in shown["items"]:
        out.append(
            {
                "id": i["id"],
                "section": i["section"],
                "level": LEVELS.get(i["level"], {}).get(lang, i["level"]),
                "text": i["text"].get(lang, i["text"]["en"]),
                "status": i["status"],
                "status_label": STATUS_LABELS[i["status"]][lang],
                "reasons": [r.get(lang, r["en"]) for r in i["reasons"]],
                "more_reasons": not_listed(i["reasons_total"]),
                "evidence": [
                    {"ref": evidence_label(e, lang), "url": selectors.evidence_url(e, product)}
                    for e in i["evidence"]
                ],
                "more_evidence": not_listed(i["evidence_total"]),
                "next_steps": [s.get(lang, s["en"]) for s in i["next_steps"]],
                "more_steps": not_listed(i["next_steps_total"]),
                "needs_attestation": i["status"] == "needs_attestation",
                "interpretation": (i.get("interpretation") or {}).get(lang, ""),
            }
        )
    return out


def _attestation_items(ruleset_id: str) -> list[str]:
    """The items of the rule set an attestation may answer ([] for a rule set that does not load).

    Parsing the rule set's YAML took longer than the rest of the page's own work, on every view:
    its items are kept per file as it is now (path, modification time and size), so an edited or
    replaced rule set file is read again."""
    try:
        path = Path(ruleset_id) if ruleset_id.endswith((".yaml", ".yml")) or os.sep in ruleset_id else None
        path = path or rulesets.available().get(ruleset_id)
        stat = path.stat() if path is not None else None
    except (errors.InputError, OSError):
        stat = None
    if stat is None:  # unknown or unreadable: load() says why, and it is not kept
        return _attestation_items_loaded(ruleset_id)
    return list(_attestation_items_of(ruleset_id, str(path), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=32)
def _attestation_items_of(ruleset_id: str, path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    return tuple(_attestation_items_loaded(ruleset_id))


def _attestation_items_loaded(ruleset_id: str) -> list[str]:
    try:
        rs = rulesets.load(ruleset_id)
    except errors.InputError:
        return []
    return [i.id for i in rs.items if any(c.name == "attestation" for c in i.checks)]


class _CheckboxList(django_forms.CheckboxSelectMultiple):
    """The records an attestation may cite, one checkbox each: the HTML Django's own widget writes
    (tests/compliance/test_compliance_cites_widget.py compares them), written in Python. Django
    renders three templates per checkbox, and a product with 500 lots has 500 of them: that was
    most of the page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = [o for _group, group_options, _index in widget["optgroups"] for o in group_options]
        if any(group for group, _o, _i in widget["optgroups"]) or not all(o["wrap_label"] for o in options):
            return super().render(name, value, attrs, renderer)  # groups or bare inputs: Django's templates
        out = ["<div"]
        if widget["attrs"].get("id"):
            out.append(f' id="{conditional_escape(widget["attrs"]["id"])}"')
        if widget["attrs"].get("class"):
            out.append(f' class="{conditional_escape(widget["attrs"]["class"])}"')
        out.append(">")
        for o in options:
            label_for = f' for="{conditional_escape(o["attrs"]["id"])}"' if o["attrs"].get("id") else ""
            value_attr = f' value="{escape(str(o["value"]))}"' if o["value"] is not None else ""
            extra = "".join(
                f" {k}" if v is True else f' {k}="{escape(str(v))}"'
                for k, v in o["attrs"].items()
                if v is not False
            )
            out.append(
                f'<div>\n    <label{label_for}><input type="{o["type"]}" name="{conditional_escape(o["name"])}"'
                f"{value_attr}{extra}>\n {conditional_escape(o['label'])}</label>\n\n</div>"
            )
        out.append("\n</div>")
        return mark_safe("".join(out))  # every value above is escaped as Django's templates escape it


def product_page(request, code, attest_form=None, qms_form=None, cmp_form=None, dialog="", status=200):
    require(request, "compliance.view")
    product = product_or_404(code)
    lang = page_language(request)
    ruleset_id = request.GET.get("ruleset") or selectors.DEFAULT_RULESET
    assessed = selectors.ruleset_ids_assessed(product)
    if ruleset_id not in rulesets.available() and ruleset_id not in assessed:
        raise Http404(_("unknown rule set {id}").format(id=ruleset_id))
    stored, previous = selectors.latest_two(product, ruleset_id)
    context = {
        "product": product,
        "ruleset_id": ruleset_id,
        "rulesets": sorted(set(rulesets.available()) | set(assessed)),
        "stored": stored,
        "can_run": request.user.has_perm("compliance.run_assessment"),
        "can_attest": request.user.has_perm("compliance.attest"),
        "attestations": selectors.attestations_for(product),
        "register": selectors.current_register(product),
        "dialog": dialog or ("attest" if attest_form is not None and attest_form.errors else ""),
    }
    context.update(_qms_context(request, product, qms_form, cmp_form))
    if stored is not None:
        shown = selectors.findings_shown(stored)
        titles = {p["part"]: p for p in selectors.part_scores(stored)}
        items = _items(shown, product, lang)
        parts = []
        for part, row in titles.items():
            parts.append(
                {
                    "title": row["title"].get(lang, part),
                    "score": row["score"],
                    "counts": row["counts"],
                    "items": [i for i, raw in zip(items, shown["items"], strict=True) if raw["part"] == part],
                }
            )
        change = selectors.diff(previous, stored)
        change["more_records"] = not_listed(change["records_total"])
        statuses = {i["id"]: i["status"] for i in shown["items"]}
        for c in change["items"]:
            c["before_label"] = STATUS_LABELS[c["before"]][lang] if c["before"] else "—"
            c["after_label"] = STATUS_LABELS[c["after"]][lang]
        context.update(
            {
                "parts": parts,
                "change": change,
                "statuses": [(s, STATUS_LABELS[s][lang]) for s in STATUS_LABELS],
                "counts": shown["summary"]["by_status"],
                "ruleset_title": shown["ruleset"]["title"].get(lang, stored.ruleset_id),
                "open_items": sum(1 for s in statuses.values() if s not in ("met", "not_applicable")),
            }
        )
    if context["can_attest"]:
        items = _attestation_items(ruleset_id if stored else selectors.DEFAULT_RULESET)
        # Boxes for the few records that are not lots; lots are typed (at 10,000 lots a box each
        # was most of the page).
        citable = services.citable_records(product, lots=False)
        form = attest_form or forms.AttestationForm(
            items=items,
            citable=citable,
            initial={
                "item_id": items[0] if items else "",
                "cites": [c for c in citable if c.startswith("risk_register:")],
            },
        )
        cites = form.fields["cites"]
        cites.choices = [(c, c) for c in citable]
        cites.widget = _CheckboxList(attrs=cites.widget.attrs, choices=cites.widget.choices)
        cites.widget.is_required = cites.required
        context["attest_form"] = form
        context["attest_ruleset"] = ruleset_id if items else selectors.DEFAULT_RULESET
    return render(request, "compliance/product.html", context, status=status)


@require_POST
def assess_now(request, code):
    require(request, "compliance.run_assessment")
    product = product_or_404(code)
    ruleset_id = request.POST.get("ruleset") or selectors.DEFAULT_RULESET
    try:
        rulesets.require_known(ruleset_id)  # an id, never a file path on the server
        rows = services.run_assessment(actor=request.user, product=product, ruleset_refs=[ruleset_id])
    except errors.InputError as exc:
        messages.error(request, _("Not assessed: {reason}").format(reason=str(exc)))
    else:
        stored, _engine = rows[0]
        score = "—" if stored.score is None else f"{stored.score:.1f}"
        messages.success(
            request,
            _("Assessed against {ruleset}: score {score}.").format(ruleset=stored.ruleset_id, score=score),
        )
    if ruleset_id not in rulesets.available():
        return redirect("compliance:product", product.code)
    return redirect(
        reverse("compliance:product", args=[product.code]) + "?" + urlencode({"ruleset": ruleset_id})
    )


@require_POST
def attest(request, code):
    require(request, "compliance.attest")
    product = product_or_404(code)
    ruleset_id = request.POST.get("ruleset") or selectors.DEFAULT_RULESET
    try:
        rulesets.require_known(ruleset_id)  # an id, never a file path on the server
    except errors.InputError as exc:
        messages.error(request, _("Not attested: {reason}").format(reason=exc.message))
        return redirect("compliance:product", product.code)
    citable = services.citable_records(product)
    form = forms.AttestationForm(request.POST, items=_attestation_items(ruleset_id), citable=citable)

    def sign(d):
        try:
            return services.attest(
                request=request,
                actor=request.user,
                product=product,
                item_id=d["item_id"],
                role=d["role"],
                statement=d["statement"],
                cites=form.all_cites(),
                password=d["password"],
                ruleset_id=ruleset_id,
            )
        except errors.PermissionDenied as exc:  # signing in a role one does not hold: told in the dialog
            raise errors.RuleViolation(str(exc)) from exc

    success = _("Attestation for {item} signed. Assess again to see its effect.").format(
        item=request.POST.get("item_id", "")
    )
    if attempt(request, form, sign, success=success):
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
    require(request, "compliance.manage_qms_links")
    product = product_or_404(code)
    form = forms.QMSLinkForm(request.POST, documents=selectors.linkable_documents())

    def link(d):
        try:
            return services.link_qms_document(
                actor=request.user, element=d["element"], document=d["document"], review_due=d["review_due"]
            )
        except errors.RuleViolation as exc:  # already linked: the document is what to change
            raise errors.InputError(str(exc), where="document") from exc

    if form.is_valid():
        d = form.cleaned_data
        success = _("{document} linked to {element}. Assess again to see its effect.").format(
            document=d["document"], element=dict(QMS_ELEMENTS).get(d["element"], d["element"])
        )
        if attempt(request, form, link, success=success):
            return redirect(reverse("compliance:product", args=[product.code]) + "#qms-documents")
    return product_page(request, code, qms_form=form, status=400)


@require_POST
def comparability_approve(request, code):
    require(request, "compliance.manage_qms_links")
    product = product_or_404(code)
    documents = selectors.linkable_documents()
    form = forms.ComparabilityForm(
        request.POST,
        processes=selectors.processes_awaiting_comparability(product),
        documents=documents,
    )

    def approve(d):
        try:
            return services.approve_comparability(
                request=request,
                actor=request.user,
                process=d["process"],
                summary=d["summary"],
                password=d["password"],
                document=d["document"],
            )
        except SignatureRefused as exc:
            raise errors.InputError(str(exc), where="password") from exc
        except errors.RuleViolation as exc:  # the process version is what to choose again
            raise errors.InputError(str(exc), where="process") from exc

    if form.is_valid():
        success = _(
            "Comparability of process version {version} approved and signed. Assess again to see its effect."
        ).format(version=form.cleaned_data["process"].version)
        if attempt(request, form, approve, success=success):
            return redirect(reverse("compliance:product", args=[product.code]) + "#comparability")
    return product_page(request, code, cmp_form=form, dialog="comparability", status=400)


@pdf_view(document="report")  # PDF, HTML or JSON
def report(request, code, fmt):
    require(request, "compliance.view")
    if fmt not in ("pdf", "html", "json"):
        raise Http404
    product = product_or_404(code)
    ruleset_id = request.GET.get("ruleset") or selectors.DEFAULT_RULESET
    stored = selectors.assessments_for(product, ruleset_id).first()
    if stored is None:
        raise Http404
    lang = request.GET.get("lang") or page_language(request)
    if lang not in ("en", "ja"):
        lang = "en"
    day = local_date(stored.assessed_at)  # the day it was assessed where the reader is, not in UTC
    if fmt == "json":  # both languages, every reason: the CLI's `--format json`, written in pieces
        response = StreamingHttpResponse(
            render_json_stored(stored), content_type="application/json; charset=utf-8"
        )
        filename = f"compliance-{product.code}-{stored.ruleset_id}-{day:%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    body = render_stored(stored, lang, fmt)
    filename = f"compliance-{product.code}-{stored.ruleset_id}-{day:%Y%m%d}-{lang}.{fmt}"
    if fmt == "pdf":
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    else:
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
    return response
