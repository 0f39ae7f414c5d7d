"""`evqms assess` and `evqms guidance list|hazards`: the compliance engine without a database."""

from __future__ import annotations

import argparse

from evqms.i18n import _

FORMATS = ("text", "json", "html", "pdf")


def register(subparsers) -> None:
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
    _database_arguments(p)
    p.set_defaults(handler=run_assess)

    g = subparsers.add_parser(
        "guidance",
        help=_("list guidance rule sets, their items and the starter hazards"),
        description=_("Show the items of the guidance rule sets, or the starter hazard list per stage."),
        epilog=_("Example: evqms guidance list --ruleset jsrm-2024 --format json"),
    )
    sub = g.add_subparsers(dest="guidance_command", metavar="COMMAND")
    lst = sub.add_parser(
        "list",
        help=_("list every item with id, level, part, texts and source"),
        epilog=_("Example: evqms guidance list --ruleset misev-2018"),
    )
    lst.add_argument(
        "--ruleset", action="append", metavar="ID_OR_FILE", help=_("rule set id or YAML file (default: all)")
    )
    lst.add_argument("--format", choices=("text", "json"), default="text", help=_("output format"))
    lst.add_argument("--lang", choices=["en", "ja"], help=_("language of the listing"))
    lst.set_defaults(handler=run_list)
    hz = sub.add_parser(
        "hazards",
        help=_("starter hazard list per stage (ICH Q9)"),
        epilog=_("Example: evqms guidance hazards --stage culture"),
    )
    hz.add_argument("--stage", help=_("only this stage"))
    hz.add_argument("--format", choices=("text", "json"), default="text", help=_("output format"))
    hz.set_defaults(handler=run_hazards)
    g.set_defaults(handler=lambda args: (g.print_help(), 2)[1])


def _database_arguments(parser) -> None:
    """`--product CODE`: the database path, owned by evqms.compliance (which imports no Django here)."""
    try:
        from evqms.compliance.cli import add_product_arguments
    except ImportError:  # installed without the QMS apps
        return
    add_product_arguments(parser)


def _language(args) -> str:
    from evqms.i18n import current_language

    return args.lang or current_language()


def run_assess(args) -> int:
    if getattr(args, "product", None) or not args.dossier:
        from evqms.compliance.cli import run_assess_product  # sets up Django only on this path

        return run_assess_product(args)
    from evqms.cliutil import emit
    from evqms.guidance import report, ruleset
    from evqms.guidance.dossier import load_dossier
    from evqms.guidance.engine import assess

    rulesets = [ruleset.load(ref) for ref in (args.ruleset or [ruleset.DEFAULT])]
    snapshot = load_dossier(args.dossier)
    assessments = [assess(snapshot, rs) for rs in rulesets]
    lang = _language(args)
    meta = {
        "dossier": args.dossier,
        "assessor": args.assessor,
        "physician": snapshot.product.responsible_physician,
    }
    if args.format == "json":
        emit(report.render_json(assessments), args.output)
    elif args.format == "html":
        emit(report.render_html(assessments, lang, meta), args.output)
    elif args.format == "pdf":
        # The font is the one the project installs (a PyPI package); found outside the pure report.
        from evqms.core.pdf import japanese_font_path

        emit(report.render_pdf(assessments, lang, meta, font_path=japanese_font_path()), args.output)
    else:
        emit(report.render_text(assessments, lang), args.output)
    return 0 if all(a.all_met() for a in assessments) else 1


def run_list(args) -> int:
    from evqms.cliutil import emit, to_json
    from evqms.guidance import report, ruleset

    refs = args.ruleset or list(ruleset.available())
    rulesets = [ruleset.load(ref) for ref in refs]
    if args.format == "json":
        emit(to_json([report.ruleset_dict(rs) for rs in rulesets]))
    else:
        emit(report.render_listing(rulesets, _language(args)))
    return 0


def run_hazards(args) -> int:
    from evqms.cliutil import emit, to_json
    from evqms.errors import InputError
    from evqms.guidance import risk
    from evqms.i18n import bilingual

    if args.stage and args.stage not in risk.STAGES:
        raise InputError(
            _("unknown stage {stage}; choose one of {stages}").format(
                stage=args.stage, stages=", ".join(risk.STAGES)
            ),
            where="--stage",
        )
    hazards = risk.starter_hazards(args.stage)
    if args.format == "json":
        emit(
            to_json(
                [
                    {
                        "stage": h.stage,
                        "hazard": h.hazard,
                        "cause": h.cause,
                        "suggested_control": h.suggested_control,
                        "source": h.source,
                    }
                    for h in hazards
                ]
            )
        )
        return 0
    lines = []
    for h in hazards:
        lines.append(f"[{bilingual(risk.STAGES[h.stage])}] {bilingual(h.hazard)}")
        lines.append(f"    {_('cause')}: {bilingual(h.cause)}")
        lines.append(f"    {_('control')}: {bilingual(h.suggested_control)}  ({h.source})")
    emit("\n".join(lines))
    return 0
