"""The training lists' columns (evqms.core.listing): the training matrix and the media fills.

The matrix has one column per document in force, so its listing is made for the documents a
request shows (`matrix_listing`); its rows are `(person, cells)` pairs and sort in Python."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evqms.core.listing import Column, Listing, attr
from evqms.training.selectors import CURRENT, OUTDATED


def _person(row):
    return row[0].signature_name()


def _cell(index: int):
    def value(row):
        cell = row[1][index]
        if cell.state == CURRENT:
            return str(_("current"))
        if cell.state == OUTDATED:
            return f"{_('outdated')} (v{cell.record.document.version})"
        return str(_("missing"))

    return value


def matrix_listing(documents) -> Listing:
    """The matrix's columns for these documents: the person, then each document's current version."""
    columns = [Column("person", _("Person"), _person)]
    for index, document in enumerate(documents):
        columns.append(Column(f"doc-{document.code}", f"{document.code} v{document.version}", _cell(index)))
    return Listing("training-matrix", tuple(columns))


def _operators(row):
    out = []
    for participant in row.participants.all():
        name = participant.operator.signature_name()
        out.append(name if participant.result == "pass" else f"{name} ({participant.get_result_display()})")
    return ", ".join(out)


MEDIA_FILLS = Listing(
    "media-fills",
    (
        Column("number", _("number"), attr("number"), "number"),
        Column("performed_on", _("performed on"), attr("performed_on"), "performed_on"),
        Column("line", _("room / line"), attr("line"), "line"),
        Column("filled", _("units filled"), attr("units_filled"), "units_filled"),
        Column("incubated", _("units incubated"), attr("units_incubated"), "units_incubated"),
        Column("contaminated", _("units contaminated"), attr("units_contaminated"), "units_contaminated"),
        Column("result", _("result"), attr("get_result_display"), "result"),
        Column("operators", _("operators"), _operators),
    ),
)
