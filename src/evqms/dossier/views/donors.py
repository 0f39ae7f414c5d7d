"""Donors (pseudonymised) with their infectious-marker results and eligibility, and the cell banks
made from them."""

from __future__ import annotations

from functools import partial

from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from evqms.core.views import require
from evqms.dossier import forms, records, services
from evqms.dossier import models as m
from evqms.dossier.views import back_url, edit_page, form_view
from evqms.i18n import _


@require_http_methods(["GET", "POST"])
def donor_create(request):
    require(request, "dossier.manage_donor")
    return form_view(
        request,
        forms.DonorForm(request.POST or None),
        lambda d: services.create_donor(actor=request.user, **d),
        success=_("Donor recorded."),
        title=_("New donor"),
        submit=_("Create"),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def donor_edit(request, pk):
    require(request, "dossier.manage_donor")
    donor = get_object_or_404(m.Donor, pk=pk)
    initial = {"code": donor.code, "consent_on": donor.consent_on, "consent_document": donor.consent_document}
    return edit_page(
        request,
        forms.DonorEditForm(request.POST or None, initial=initial),
        record=records.donor_record(donor),
        update=partial(services.update_donor, actor=request.user, donor=donor),
        success=_("Donor updated."),
        title=_("Edit donor {donor}").format(donor=donor.code),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def donor_test(request, pk):
    require(request, "dossier.manage_donor")
    donor = get_object_or_404(m.Donor, pk=pk)
    return form_view(
        request,
        forms.DonorTestForm(request.POST or None),
        lambda d: services.record_donor_test(actor=request.user, donor=donor, **d),
        success=_("Test result recorded."),
        title=_("Infectious-marker result for donor {donor}").format(donor=donor.code),
        submit=_("Record"),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def donor_eligibility(request, pk):
    require(request, "dossier.manage_donor")
    donor = get_object_or_404(m.Donor, pk=pk)
    return form_view(
        request,
        forms.EligibilityForm(request.POST or None, initial={"eligibility": donor.eligibility}),
        lambda d: services.set_donor_eligibility(actor=request.user, donor=donor, **d),
        success=_("Eligibility saved."),
        title=_("Eligibility of donor {donor}").format(donor=donor.code),
        submit=_("Save"),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def cell_bank_create(request):
    require(request, "dossier.manage_cell_bank")
    return form_view(
        request,
        forms.CellBankForm(request.POST or None),
        lambda d: services.create_cell_bank(actor=request.user, **d),
        success=_("Cell bank recorded."),
        title=_("New cell bank"),
        submit=_("Create"),
        back=back_url(request),
    )


@require_http_methods(["GET", "POST"])
def cell_bank_edit(request, pk):
    require(request, "dossier.manage_cell_bank")
    bank = get_object_or_404(m.CellBank, pk=pk)
    initial = forms.CellBankEditForm.initial_from(bank)
    return edit_page(
        request,
        forms.CellBankEditForm(request.POST or None, initial=initial, bank=bank),
        record=records.cell_bank_record(bank),
        update=partial(services.update_cell_bank, actor=request.user, bank=bank),
        success=_("Cell bank updated."),
        title=_("Edit cell bank {bank}").format(bank=bank.code),
        back=back_url(request),
    )
