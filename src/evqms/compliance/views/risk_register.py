"""The risk register page of a product: its risks with scores and controls, the stages without a
hazard, and the dialogs that start a version, add or change a risk and approve the version."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from evqms import errors
from evqms.compliance import forms, selectors, services
from evqms.compliance.models import RiskItem
from evqms.compliance.views import product_or_404
from evqms.core.views import attempt, page_language, require, show_refusal
from evqms.guidance import risk


def register_page(request, code, item_form=None, none_form=None, approve_form=None, dialog="", status=200):
    require(request, "compliance.view")
    product = product_or_404(code)
    lang = page_language(request)
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
    require(request, "compliance.edit_risk_register")
    product = product_or_404(code)
    try:
        register = services.create_register(
            actor=request.user, product=product, with_starter_hazards=request.POST.get("starter") == "1"
        )
    except (errors.RuleViolation, errors.InputError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Risk register version {version} started.").format(version=register.version)
        )
    return redirect("compliance:register", code=product.code)


def _current_register(code):
    product = product_or_404(code)
    register = selectors.current_register(product)
    if register is None:
        raise Http404
    return product, register


@require_POST
def register_starter(request, code):
    require(request, "compliance.edit_risk_register")
    product, register = _current_register(code)
    try:
        added = services.add_starter_hazards(actor=request.user, register=register)
    except (errors.RuleViolation, errors.InputError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("{n} starter hazards added: score them.").format(n=len(added)))
    return redirect("compliance:register", code=product.code)


@require_POST
def item_add(request, code):
    require(request, "compliance.edit_risk_register")
    product, register = _current_register(code)
    form = forms.RiskItemForm(request.POST, product=product, lang=page_language(request))
    if form.is_valid():
        try:
            item = services.add_risk_item(actor=request.user, register=register, **form.cleaned_data)
        except (errors.InputError, errors.RuleViolation) as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("Risk {code} added.").format(code=item.code))
            return redirect("compliance:register", code=product.code)
    return register_page(request, code, item_form=form, status=400)


@require_POST
def item_update(request, code, pk):
    require(request, "compliance.edit_risk_register")
    product = product_or_404(code)
    item = get_object_or_404(RiskItem, pk=pk, register__product=product)
    form = forms.RiskItemForm(request.POST, product=product, lang=page_language(request))
    if attempt(
        request,
        form,
        lambda d: services.update_risk_item(actor=request.user, item=item, **d),
        success=_("Risk {code} updated.").format(code=item.code),
    ):
        return redirect("compliance:register", code=product.code)
    messages.error(
        request, _("Risk {code} not updated: {errors}").format(code=item.code, errors=form.errors.as_text())
    )
    return redirect("compliance:register", code=product.code)


@require_POST
def none_identified(request, code):
    require(request, "compliance.edit_risk_register")
    product, register = _current_register(code)
    form = forms.NoneIdentifiedForm(request.POST, lang=page_language(request))
    if form.is_valid():
        try:
            services.set_none_identified(actor=request.user, register=register, **form.cleaned_data)
        except (errors.InputError, errors.RuleViolation) as exc:
            show_refusal(form, exc)
        else:
            return redirect("compliance:register", code=product.code)
    return register_page(request, code, none_form=form, status=400)


@require_POST
def register_approve(request, code):
    require(request, "compliance.approve_risk_register")
    product, register = _current_register(code)
    form = forms.SignForm(request.POST, prefix="approve")
    if attempt(
        request,
        form,
        lambda d: services.approve_register(
            request=request, actor=request.user, register=register, password=d["password"], reason=d["reason"]
        ),
        success=_("Risk register version {version} approved and signed.").format(version=register.version),
    ):
        return redirect("compliance:register", code=product.code)
    return register_page(request, code, approve_form=form, dialog="approve", status=400)
