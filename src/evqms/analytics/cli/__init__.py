"""`evqms analyze ...`: each analysis registers its own sub-command from its own module."""

from __future__ import annotations

import importlib

from evqms.i18n import _

ANALYSES = (
    "evqms.analytics.cli.nta",
    "evqms.analytics.cli.potency",
    "evqms.analytics.cli.spc",
    "evqms.analytics.cli.stability",
)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help=_("QC analytics: NTA exports, potency, control charts, shelf life"),
        description=_("QC analytics: NTA exports, potency, control charts, shelf life"),
    )
    sub = parser.add_subparsers(dest="analysis", metavar="ANALYSIS", parser_class=type(parser))
    for name in ANALYSES:
        importlib.import_module(name).register(sub)
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
