"""`evqms guidance list|hazards`: the rule sets' items and the starter hazard list, without a database.

Judging a dossier (`evqms assess`) is compliance's command, on top of this engine."""

from __future__ import annotations

from evqms.i18n import _


def register(subparsers) -> None:
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


def _language(args) -> str:
    from evqms.i18n import current_language

    return args.lang or current_language()


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
