"""`evqms assess` and `evqms compliance history`.

`assess` judges a product against the guidance rule sets in either of two forms: a dossier file
(`evqms assess DOSSIER`: the pure guidance engine, no database) or a product in the database
(`evqms assess --product CODE`: the evidence snapshot, stored as an assessment unless --no-store).
`compliance history` lists the stored assessments of a product. Django is set up only on the
database paths, so `evqms --help` and the file form stay quick.
"""

from __future__ import annotations

import argparse

from evqms.i18n import _

FORMATS = ("text", "json", "html", "pdf")


def register(subparsers) -> None:
    _register_assess(subparsers)
    _register_history(subparsers)


def _register_assess(subparsers) -> None:
    p = subparsers.add_parser(
        "assess",
        help=_("check a dossier file against guidance rule sets"),
        description=_(
            "Judge every item of the rule sets (default jsrm-2024) against the evidence in a dossier "
            "file (YAML or JSON). Exit 0 when every applicable item is met, 1 when any item is not met, "
            "partly met or needs an attestation, 2 on bad input."
        ),
        epilog=_("Example: evqms assess examples/typical-clinic.yaml --format pdf -o report.pdf --lang ja"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dossier", metavar="DOSSIER", nargs="?", help=_("dossier file (.yaml, .yml or .json)"))
    p.add_argument(
        "--ruleset",
        action="append",
        metavar="ID_OR_FILE",
        help=_("rule set id or YAML file; repeat for several (default jsrm-2024)"),
    )
    p.add_argument("--format", choices=FORMATS, default="text", help=_("output format"))
    p.add_argument("-o", "--output", metavar="FILE", help=_("write to FILE instead of standard output"))
    p.add_argument("--lang", choices=["en", "ja"], help=_("language of the report"))
    p.add_argument("--assessor", default="", help=_("name of the assessor printed on the report"))
    p.add_argument(
        "--product",
        metavar="CODE",
        help=_("assess a product in the database instead of a file, and store the result"),
    )
    p.add_argument(
        "--no-store", action="store_true", help=_("with --product: judge without storing the assessment")
    )
    p.set_defaults(handler=run_assess)


def _register_history(subparsers) -> None:
    p = subparsers.add_parser(
        "compliance",
        help=_("stored compliance assessments of a product"),
        description=_(
            "List the stored assessments of a product (run them with evqms assess --product CODE)."
        ),
        epilog=_("Example: evqms compliance history ucmsc-sev-oa --format json"),
    )
    sub = p.add_subparsers(dest="compliance_command", metavar="COMMAND", parser_class=type(p))
    history = sub.add_parser(
        "history",
        help=_("list the stored assessments of a product, newest first"),
        epilog=_("Example: evqms compliance history ucmsc-sev-oa"),
    )
    history.add_argument("product", metavar="CODE")
    history.add_argument("--ruleset", default=None, help=_("only this rule set id"))
    history.add_argument("--format", choices=("text", "json"), default="text", help=_("output format"))
    history.set_defaults(handler=run_history)
    p.set_defaults(handler=lambda args: p.print_help() or 2)


def _product(code: str, where: str):
    from evqms.dossier.models import Product
    from evqms.errors import InputError

    product = Product.objects.filter(code=code).select_related("responsible_physician").first()
    if product is None:
        # Codes are exact; name the ones there are, so a code typed in other case or misspelt is
        # corrected at once (the first 20, in code order).
        codes = list(Product.objects.order_by("code").values_list("code", flat=True)[:20])
        message = _("no product with code {code}").format(code=code)
        if codes:
            message = _("no product with code {code}; the products are: {codes}").format(
                code=code, codes=", ".join(codes)
            )
        raise InputError(message, where=where)
    return product


def run_assess(args) -> int:
    """Exit 0 when every applicable item is met, 1 on a gap, 2 on bad input (nothing stored then)."""
    if args.product or not args.dossier:
        return run_assess_product(args)
    return run_assess_file(args)


def run_assess_product(args) -> int:
    """`evqms assess --product CODE`: exit 0 all met, 1 gaps, 2 bad input (nothing stored then)."""
    from evqms.errors import InputError

    if bool(args.dossier) == bool(args.product):
        raise InputError(_("give either a dossier file or --product CODE"), where="assess")
    from evqms.startup import setup_django

    setup_django()
    from evqms.compliance import services
    from evqms.core.timefmt import local_date

    product = _product(args.product, "--product")
    if args.no_store:
        _snapshot, assessments = services.evaluate(product, args.ruleset)
    else:
        assessments = [
            a for _row, a in services.run_assessment(actor=None, product=product, ruleset_refs=args.ruleset)
        ]
    physician = product.responsible_physician
    meta = {
        "dossier": _("database: product {code}").format(code=product.code),
        "assessor": args.assessor,
        "physician": physician.signature_name() if physician else "",
        "date": local_date(assessments[0].generated_at).isoformat() if assessments else "",
    }
    return _emit_report(args, assessments, meta)


def run_assess_file(args) -> int:
    """`evqms assess DOSSIER`: the guidance engine on a dossier file, no database."""
    from evqms.guidance import ruleset
    from evqms.guidance.dossier import load_dossier
    from evqms.guidance.engine import assess

    rulesets = [ruleset.load(ref) for ref in (args.ruleset or [ruleset.DEFAULT])]
    snapshot = load_dossier(args.dossier)
    assessments = [assess(snapshot, rs) for rs in rulesets]
    meta = {
        "dossier": args.dossier,
        "assessor": args.assessor,
        "physician": snapshot.product.responsible_physician,
    }
    return _emit_report(args, assessments, meta)


def _emit_report(args, assessments, meta: dict) -> int:
    """The report in the chosen format and language; exit 0 when every item is met, else 1."""
    from evqms.cliutil import emit, emit_chunks
    from evqms.guidance import report
    from evqms.i18n import current_language

    lang = args.lang or current_language()
    if args.format == "json":
        emit_chunks(report.render_json_chunks(assessments), args.output)
    elif args.format == "html":
        emit(report.render_html(assessments, lang, meta), args.output)
    elif args.format == "pdf":
        # The font is the one the project installs (a PyPI package); found outside the pure report.
        from evqms.core.pdf import japanese_font_path

        emit(report.render_pdf(assessments, lang, meta, font_path=japanese_font_path()), args.output)
    else:
        emit(report.render_text(assessments, lang), args.output)
    return 0 if all(a.all_met() for a in assessments) else 1


def run_history(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.cliutil import emit, to_json
    from evqms.compliance.models import Assessment
    from evqms.compliance.selectors import BULKY
    from evqms.core.timefmt import display_local, iso_local

    product = _product(args.product, "product")
    rows = Assessment.objects.filter(product=product).defer(*BULKY).order_by("-assessed_at", "-id")
    if args.ruleset:
        rows = rows.filter(ruleset_id=args.ruleset)
    data = [
        {
            "id": r.pk,
            "ruleset": r.ruleset_id,
            "ruleset_version": r.ruleset_version,
            "assessed_at": iso_local(r.assessed_at),
            "assessed_by": r.assessed_by.get_username() if r.assessed_by_id else "system",
            "score": None if r.score is None else float(r.score),
            "all_met": r.all_met,
            "snapshot_sha256": r.snapshot_sha256,
        }
        for r in rows
    ]
    if args.format == "json":
        emit(to_json(data))
    else:
        for d in data:
            score = "-" if d["score"] is None else f"{d['score']:.1f}"
            emit(
                f"{display_local(d['assessed_at'])}  {d['ruleset']} {d['ruleset_version']}  {_('score')} {score}  "
                f"{d['assessed_by']}  sha256 {d['snapshot_sha256'][:12]}"
            )
    return 0
