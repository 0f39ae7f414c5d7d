"""The web import of QC results: upload, a dry run that shows every row as it will be stored and
every error in place, then "Import all" of exactly the file previewed; templates per specification;
the saved column mappings.

The file is kept by its sha256 when previewed (`qc_import.preview_qc_import`); the session
remembers what was previewed (file, mapping, lot) for PREVIEW_MINUTES, and the confirmation
imports the kept bytes, refused when they no longer have the previewed hash or the mapping changed.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evqms.core.timefmt import display_local
from evqms.core.uploads import read_upload
from evqms.core.views import attempt, page_language, require
from evqms.dossier.models import Specification
from evqms.equipment import selectors as equipment
from evqms.errors import InputError, PermissionDenied
from evqms.lots import display, forms, qc_template
from evqms.lots.models import QCColumnMapping
from evqms.lots.qc_columns import COLUMNS
from evqms.lots.qc_import import import_qc_results, preview_qc_import
from evqms.lots.selectors import qc_import as selectors
from evqms.lots.services import qc_mappings as mapping_services
from evqms.lots.views.pages import detail_url, lot_or_404

PREVIEW_MINUTES = 30
SESSION_KEY = "qc_import_previews"
KEPT_PREVIEWS = 5


def _page_url(lot) -> str:
    return reverse("lots:qc-import-lot", args=[lot.number]) if lot else reverse("lots:qc-import")


def _remember(request, report, mapping, lot) -> None:
    previews = dict(request.session.get(SESSION_KEY) or {})
    previews[report.sha256] = {
        "stored_as": report.stored_as,
        "filename": report.filename,
        "mapping": mapping.pk if mapping else None,
        "columns": mapping.columns if mapping else None,
        "lot": lot.number if lot else None,
        "at": timezone.now().isoformat(),
    }
    newest = sorted(previews.items(), key=lambda item: item[1]["at"])[-KEPT_PREVIEWS:]
    request.session[SESSION_KEY] = dict(newest)


def _previewed(request, sha256: str, lot):
    """What the session remembers of the preview of `sha256` on this page, or an InputError."""
    seen = (request.session.get(SESSION_KEY) or {}).get(sha256 or "")
    if not seen or seen.get("lot") != (lot.number if lot else None):
        raise InputError(_("no preview of this file on this page: upload it again"), where="file")
    at = dt.datetime.fromisoformat(seen["at"])
    if timezone.now() - at > dt.timedelta(minutes=PREVIEW_MINUTES):
        raise InputError(
            _("the preview is older than {n} minutes: upload the file again").format(n=PREVIEW_MINUTES),
            where="file",
        )
    mapping = None
    if seen["mapping"] is not None:
        mapping = QCColumnMapping.objects.filter(pk=seen["mapping"]).first()
        if mapping is None or mapping.columns != seen["columns"]:
            raise InputError(
                _("the column mapping changed after the preview: preview again"), where="mapping"
            )
    try:
        with default_storage.open(seen["stored_as"], "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, OSError):
        raise InputError(_("the previewed file is no longer kept: upload it again"), where="file") from None
    return seen, data, mapping


def _preview_rows(report) -> list[dict]:
    """Each row of a dry run as the page shows it: the result as it will be stored, or the file's
    cells, with the row's errors by column."""
    rows = []
    for p in report.preview:
        errors = report.errors_of(p.row)
        row = {"row": p.row, "errors": errors, "by_column": {e.column for e in errors}}
        r = p.result
        if r is not None:
            shown = {
                "text_value": r.text_value,
                "limits": r.limits,
                "reported_value": r.reported_value,
                "value_in_spec_unit": r.value_in_spec_unit,
                "value": r.value,
                "unit": r.unit,
                "censor": r.censor,
            }
            row.update(
                lot=r.lot.number,
                attribute=f"{r.attribute.code}",
                attribute_name=r.attribute.name,
                entered=r.text_value or display.result_value_text(r.value, r.unit, censor=r.censor),
                converted=display.result_text(shown),
                criterion=display.criterion_text(r.limits),
                verdict=r.verdict,
                verdict_display=r.get_verdict_display(),
                method=r.method,
                tested=display_local(r.tested_at),
                analyst=r.analyst.get_username(),
                instrument=r.instrument.identifier if r.instrument_id else "",
            )
        else:
            cells = {c: str(p.cells.get(c) or "") for c in COLUMNS}
            row.update(
                lot=cells["lot"],
                attribute=cells["attribute"],
                entered=cells["text_value"] or f"{cells['value']} {cells['unit']}".strip(),
                converted="",
                verdict="",
                method=cells["method"],
                tested=cells["tested_at"],
                analyst=cells["analyst"],
                instrument=cells["instrument"],
            )
        rows.append(row)
    return rows


def _render(request, lot, form, *, report=None, refusal: str = "", status=200):
    general = [e for e in report.errors if e.row is None] if report else []
    return render(
        request,
        "lots/qc_import.html",
        {
            "lot": lot,
            "form": form,
            "report": report,
            "refusal": refusal,
            "rows": _preview_rows(report) if report else [],
            "general_errors": general,
            "can_import": report is not None and report.ok and not report.created and bool(report.preview),
            "specifications": selectors.template_specifications(lot),
            "open_lots": [] if lot else selectors.lots_open_for_qc(),
            "preview_minutes": PREVIEW_MINUTES,
            "mapping_count": QCColumnMapping.objects.count(),
        },
        status=status,
    )


def _import_page(request, lot):
    require(request, "lots.import_qc_results")
    if request.method != "POST":
        return _render(request, lot, forms.QCImportForm())
    if request.POST.get("confirm"):
        return _confirm(request, lot)
    form = forms.QCImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, lot, form, status=400)
    upload, mapping = form.cleaned_data["file"], form.cleaned_data["mapping"]
    try:
        report = preview_qc_import(
            actor=request.user, filename=upload.name, data=read_upload(upload), mapping=mapping, lot=lot
        )
    except PermissionDenied as exc:
        from django.core.exceptions import PermissionDenied as DjangoDenied

        raise DjangoDenied(str(exc)) from exc
    except InputError as exc:
        form.add_error("file", str(exc))
        return _render(request, lot, form, status=400)
    _remember(request, report, mapping, lot)
    return _render(request, lot, forms.QCImportForm(initial={"mapping": mapping}), report=report)


def _confirm(request, lot):
    """ "Import all": the kept bytes of the file previewed, with the mapping it was previewed with."""
    sha256 = request.POST.get("sha256", "")
    form = forms.QCImportForm()
    try:
        seen, data, mapping = _previewed(request, sha256, lot)
        report = import_qc_results(
            actor=request.user,
            filename=seen["filename"],
            data=data,
            mapping=mapping,
            lot=lot,
            previewed=sha256,
        )
    except InputError as exc:
        return _render(request, lot, form, refusal=str(exc), status=409)
    if not report.ok:
        return _render(request, lot, form, report=report, status=409)
    previews = dict(request.session.get(SESSION_KEY) or {})
    previews.pop(sha256, None)
    request.session[SESSION_KEY] = previews
    from django.contrib import messages

    messages.success(
        request,
        _("{n} QC results imported from {file} (sha256 {sha}).").format(
            n=len(report.created), file=report.filename, sha=report.sha256[:16]
        ),
    )
    return redirect(detail_url(lot) if lot else reverse("lots:qc-import"))


@require_http_methods(["GET", "POST"])
def qc_import(request):
    """The QC section's import: results for several lots in one file."""
    return _import_page(request, None)


@require_http_methods(["GET", "POST"])
def qc_import_lot(request, number):
    """The lot page's import: the file's rows must all be for this lot."""
    return _import_page(request, lot_or_404(number))


def _template_response(request, specification, fmt: str, lot_number: str = ""):
    lang = page_language(request)
    stem = f"qc-template-{specification.product.code}-v{specification.version}"
    if lot_number:
        stem = f"qc-template-{lot_number}"
    if fmt == "csv":
        data = qc_template.template_csv(specification, lang=lang, lot_number=lot_number)
        content_type = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data = qc_template.template_xlsx(specification, lang=lang, lot_number=lot_number)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        raise Http404
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}-{lang}.{fmt}"'
    return response


def qc_template_download(request, spec_id, fmt):
    require(request, "lots.view")
    specification = get_object_or_404(Specification.objects.select_related("product"), pk=spec_id)
    return _template_response(request, specification, fmt)


def qc_template_lot(request, number, fmt):
    require(request, "lots.view")
    lot = lot_or_404(number)
    return _template_response(request, lot.specification, fmt, lot.number)


def _instrument(identifier: str):
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    found = equipment.find_instrument(identifier)
    if found is None:
        raise InputError(
            _("unknown instrument {identifier}").format(identifier=identifier), where="instrument"
        )
    return found


@require_http_methods(["GET", "POST"])
def qc_mappings(request, mapping_id=None):
    """The saved column mappings: the list, a new one, or (with `mapping_id`) one changed."""
    require(request, "lots.import_qc_results")
    mapping = get_object_or_404(QCColumnMapping, pk=mapping_id) if mapping_id else None
    initial = forms.QCColumnMappingForm.initial_for(mapping) if mapping else None
    form = forms.QCColumnMappingForm(request.POST or None, initial=initial)

    def save(data):
        if mapping is None:
            return mapping_services.create_column_mapping(
                actor=request.user,
                name=data["name"],
                headers=form.headers(),
                instrument=_instrument(data["instrument"]),
            )
        return mapping_services.change_column_mapping(
            actor=request.user,
            mapping=mapping,
            name=data["name"],
            headers=form.headers(),
            instrument=_instrument(data["instrument"]),
        )

    done = attempt(
        request,
        form,
        save,
        success=lambda m: _("Column mapping {name} saved.").format(name=m.name),
        field_for=forms.mapping_field_for,
    )
    if done:
        return redirect(reverse("lots:qc-mappings"))
    return render(
        request,
        "lots/qc_mappings.html",
        {
            "form": form,
            "mapping": mapping,
            "mappings": QCColumnMapping.objects.select_related("instrument", "created_by"),
            "instrument_options": equipment.usable_instruments(),
            "columns": COLUMNS,
        },
        status=400 if form.errors else 200,
    )
