"""`evqms report coa LOT -o FILE.pdf [--lang ja|en] [--final-only]`: the certificate of analysis."""

from __future__ import annotations

import sys

from evqms.i18n import _


def register(subparsers) -> None:
    report = subparsers.add_parser(
        "report",
        help=_("reports from the database (certificate of analysis)"),
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
