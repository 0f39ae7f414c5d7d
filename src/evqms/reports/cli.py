"""`evqms report coa LOT -o FILE.pdf [--lang ja|en] [--final-only]`: the certificate of analysis;
`evqms report safety AE ...`: a serious adverse event's report; `evqms report registry PRODUCT
[--from DATE] [--to DATE] --out FILE.zip --as USER`: the product's registry export (audited)."""

from __future__ import annotations

import sys

from evqms.i18n import _


def register(subparsers) -> None:
    report = subparsers.add_parser(
        "report",
        help=_("reports from the database (certificate of analysis, serious-adverse-event report)"),
        epilog=_("Example: evqms report coa UCEV-24-001 -o CoA-UCEV-24-001.pdf --lang ja"),
    )
    sub = report.add_subparsers(dest="report_command", metavar="REPORT", parser_class=type(report))
    coa = sub.add_parser(
        "coa",
        help=_("certificate of analysis of a lot (PDF); an unreleased lot's is marked DRAFT"),
        description=_(
            "Write the certificate of analysis of a lot as PDF, with the Japanese font embedded. "
            "A lot that is not released (or whose release signature no longer applies) gets a "
            "watermarked draft, unless --final-only is given."
        ),
        epilog=_("Example: evqms report coa UCEV-24-001 -o CoA-UCEV-24-001.pdf --lang ja"),
    )
    coa.add_argument("lot", metavar="LOT", help=_("lot number"))
    coa.add_argument("-o", "--output", metavar="FILE.pdf", required=True, help=_("PDF file to write"))
    coa.add_argument(
        "--lang", choices=["ja", "en"], help=_("language of the certificate (default: EVQMS_LANG/LANG)")
    )
    coa.add_argument(
        "--final-only",
        action="store_true",
        help=_("refuse (exit 1, nothing written) unless the lot is released with a valid signature"),
    )
    coa.set_defaults(handler=run_coa)
    safety = sub.add_parser(
        "safety",
        help=_("serious-adverse-event report of an adverse event (PDF), or its E2B(R3) fields (JSON)"),
        description=_(
            "Write the report of a serious adverse event (its latest safety report, or --report) as PDF "
            "with the Japanese font embedded, or its ICH E2B(R3) fields as JSON (pseudonymised: the "
            "patient's code, age group and sex only)."
        ),
        epilog=_("Example: evqms report safety AE-000001 -o SR-AE-000001.pdf --lang ja"),
    )
    safety.add_argument("adverse_event", metavar="AE", help=_("adverse event number"))
    safety.add_argument("-o", "--output", metavar="FILE", help=_("file to write (default: standard output)"))
    safety.add_argument("--report", metavar="SR", help=_("safety report number (default: the latest)"))
    safety.add_argument(
        "--format", choices=["pdf", "json"], default="pdf", help=_("PDF document or E2B JSON")
    )
    safety.add_argument(
        "--lang", choices=["ja", "en"], help=_("language of the PDF (default: EVQMS_LANG/LANG)")
    )
    safety.set_defaults(handler=run_safety)
    _register_registry(sub)
    report.set_defaults(handler=lambda args: report.print_help() or 2)


def run_coa(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit
    from evqms.i18n import env_language
    from evqms.reports import coa

    lot = coa.find_lot(args.lot)
    certificate = coa.build_coa(lot, args.lang or env_language())
    if not certificate.final and args.final_only:
        print(
            _("lot {lot} has no valid release ({why}): no certificate written").format(
                lot=lot.number, why=certificate.watermark
            ),
            file=sys.stderr,
        )
        return 1
    emit(certificate.pdf(), args.output)
    if certificate.final:
        print(
            _("wrote {path}: certificate of analysis of lot {lot}").format(path=args.output, lot=lot.number)
        )
    else:
        print(
            _("wrote {path}: DRAFT certificate of lot {lot} ({why})").format(
                path=args.output, lot=lot.number, why=certificate.watermark
            )
        )
    return 0


def run_safety(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    import json

    from evqms.cliutil import emit
    from evqms.i18n import env_language
    from evqms.reports import safety

    ae = safety.find_event(args.adverse_event)
    report = safety.pick_report(ae, args.report)
    if args.format == "json":
        emit(json.dumps(safety.e2b_case(ae, report), ensure_ascii=False, indent=2), args.output)
    else:
        if not args.output:
            print(_("a PDF needs a file: give -o FILE.pdf"), file=sys.stderr)
            return 2
        emit(safety.build_document(ae, report, args.lang or env_language()).pdf(), args.output)
    if args.output:
        print(
            _("wrote {path}: report {report} of adverse event {event}").format(
                path=args.output, report=report.number, event=ae.number
            )
        )
    return 0


def _register_registry(sub) -> None:
    from evqms.accounts.cli_auth import add_identity_arguments

    registry = sub.add_parser(
        "registry",
        help=_(
            "registry export of a product: CDISC-shaped CSV, their definition (JSON) and ODM 1.3.2 XML in a zip"
        ),
        description=_(
            "Write the pseudonymised registry export of a product's administrations (DM, EX, AE, QS, SV as "
            "CSV, define.json, odm.xml and README.txt) as one zip. Patients appear by their code only. "
            "The export is recorded in the audit trail under the person named by --as."
        ),
        epilog=_(
            'Example: echo "$PASSWORD" | evqms report registry ucmsc-sev-oa --from 2026-01-01 --to 2026-12-31 '
            "--out registry.zip --as physician --password-stdin"
        ),
    )
    registry.add_argument("product", metavar="PRODUCT", help=_("product code"))
    registry.add_argument(
        "--from", dest="date_from", metavar="YYYY-MM-DD", help=_("administrations from this day (inclusive)")
    )
    registry.add_argument(
        "--to", dest="date_to", metavar="YYYY-MM-DD", help=_("administrations up to this day (inclusive)")
    )
    registry.add_argument(
        "-o", "--out", dest="output", metavar="FILE.zip", required=True, help=_("zip file to write")
    )
    registry.add_argument(
        "--lang", choices=["ja", "en"], help=_("language of README.txt (default: EVQMS_LANG/LANG)")
    )
    add_identity_arguments(registry, who=_("the person exporting (recorded in the audit trail)"))
    registry.set_defaults(handler=run_registry)


def run_registry(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.accounts.cli_auth import authenticated_actor
    from evqms.cliutil import emit
    from evqms.i18n import env_language
    from evqms.reports import registry
    from evqms.reports.evidence import find_product

    product = find_product(args.product)
    # the period is checked before the password is asked for: a typo costs no login attempt
    registry.parse_period(args.date_from, args.date_to)
    actor = authenticated_actor(args)
    package = registry.export_registry(
        actor=actor,
        product=product,
        date_from=args.date_from,
        date_to=args.date_to,
        lang=args.lang or env_language(),
    )
    emit(package.data, args.output)
    counts = ", ".join(f"{name} {n}" for name, n in package.rows.items())
    print(
        _("wrote {path}: registry export of {product} ({counts}); sha256 {sha}").format(
            path=args.output, product=product.code, counts=counts, sha=package.sha256
        )
    )
    return 0
