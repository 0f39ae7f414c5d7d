"""One way every PDF download fails: a page in the app's layout that says what to do.

Wrap each view that answers with a PDF in `@pdf_view`. A missing Japanese font answers 503 (the
installation is incomplete: the administrator reinstalls); any other failure while making the PDF
answers 500, is logged with its traceback for the administrator, and still shows the app's page
with the way back, never a bare error. Refusals the view means to give (404, 403, a bad request
raised as InputError) pass through unchanged.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from evqms.core.pdf import FontMissing
from evqms.errors import InputError, PermissionDenied, RuleViolation
from evqms.i18n import _

log = logging.getLogger("evqms.pdf")

_PASS_THROUGH = (Http404, DjangoPermissionDenied, PermissionDenied, InputError, RuleViolation)


def pdf_failure_page(request, *, problem: str, steps: list[str], status: int, title: str = ""):
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""  # only a link back into this site
    elif back.endswith(request.get_full_path()):
        back = ""  # not back to the PDF itself (after switching the language here)
    return render(
        request,
        "web/pdf_error.html",
        {"title": title or _("The PDF could not be made"), "problem": problem, "steps": steps, "back": back},
        status=status,
    )


def _not_made(document: str) -> tuple[str, str]:
    """The error page's title and its problem (with {error}) for what the view makes."""
    if document == "report":
        return _("The report could not be made"), _("The report could not be made ({error}).")
    return _("The PDF could not be made"), _("The PDF could not be made ({error}).")


def pdf_view(view=None, *, document: str = "pdf"):
    """Decorate a view that returns a PDF: a failure to render it becomes the PDF error page.
    A view that also answers in other formats names what it makes: `@pdf_view(document="report")`."""
    if view is None:
        return lambda v: pdf_view(v, document=document)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _PASS_THROUGH:
            raise
        except FontMissing as exc:
            log.error("PDF not made, font missing: %s (%s)", exc, request.path)
            return pdf_failure_page(
                request,
                title=_not_made(document)[0],
                problem=str(exc),
                steps=[
                    _("Ask the administrator to reinstall evqms (make install): the font comes with it."),
                    _("Meanwhile the same information is on the record's page."),
                ],
                status=503,
            )
        except Exception as exc:  # WeasyPrint, a template, a stored value: logged, shown as a page
            log.exception("PDF not made (%s)", request.path)
            title, problem = _not_made(document)
            return pdf_failure_page(
                request,
                title=title,
                problem=problem.format(error=type(exc).__name__),
                steps=[
                    _("Try again in a moment."),
                    _("If it fails again, tell the administrator the time and this page's address."),
                    _("Meanwhile the same information is on the record's page."),
                ],
                status=500,
            )

    return wrapper
