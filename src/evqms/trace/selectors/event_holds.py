"""What a hold from an adverse event may cover: the lots the event's administration used, and their
siblings, the lots the forward trace finds from the same cell bank (each bank of the chain, the
nearest first) or the same material lot. One trace query for the event, one per bank or material
lot; the person chooses among them with the genealogy shown."""

from __future__ import annotations

from dataclasses import dataclass, field

from evqms.clinical.models import AdverseEvent
from evqms.errors import InputError
from evqms.lots.holds import active_holds_by_lot
from evqms.trace.models import Hold
from evqms.trace.selectors.genealogy import Node, Trace, trace


@dataclass
class CandidateLot:
    number: str
    id: int
    status: str
    status_text: str
    administrations: int  # how many administrations used it (patients exposed), from the trace
    holds: list[str] = field(default_factory=list)  # active recall or hold numbers


@dataclass
class SiblingGroup:
    kind: str  # "cell_bank" or "material_lot"
    code: str
    label: str  # the bank's kind (MCB/WCB) or the material's name
    lots: list[CandidateLot]
    problem: str = ""  # why its forward trace could not be read (an ambiguous material lot number)


@dataclass
class EventHoldCandidates:
    event: str
    serious: bool
    event_lots: list[CandidateLot]
    groups: list[SiblingGroup]

    @property
    def numbers(self) -> set[str]:
        """Every lot a hold from this event may name."""
        return {lot.number for lot in self.event_lots} | {
            lot.number for group in self.groups for lot in group.lots
        }


def _administrations(result: Trace, lot: Node) -> int:
    return len(
        {
            adm.key
            for aliquot in result.linked(lot, "aliquot")
            for adm in result.linked(aliquot, "administration")
        }
    )


def _lots(result: Trace) -> list[CandidateLot]:
    return [
        CandidateLot(lot.code, lot.id, lot.status or "", lot.status_text, _administrations(result, lot))
        for lot in result.of("lot")
    ]


def event_hold_candidates(number: str) -> EventHoldCandidates:
    """The event's lots and their siblings; InputError when no event has that number."""
    back = trace("adverse_event", number)
    (event,) = back.of("adverse_event")
    own = {lot.code for lot in back.of("lot")}
    event_lots = _lots(back)
    groups, forward_lots = [], []
    # The lot's own bank first, then each bank above it (a wider and wider circle of siblings).
    banks = sorted(back.of("cell_bank"), key=lambda n: (-n.level, n.code))
    for kind, nodes in (("cell_bank", banks), ("material_lot", back.of("material_lot"))):
        for node in nodes:
            label = node.label or ""
            try:
                forward = trace(kind, node.code)
            except InputError as exc:  # two materials share the lot number: its trace cannot tell them apart
                groups.append(SiblingGroup(kind, node.code, label, [], problem=str(exc)))
                continue
            found = _lots(forward)
            forward_lots.append(found)
            siblings = [lot for lot in found if lot.number not in own]
            groups.append(SiblingGroup(kind, node.code, label, siblings))
    # The event's trace sees only its own administration: the forward traces count every one.
    exposed = {lot.number: lot.administrations for group in forward_lots for lot in group}
    for lot in event_lots:
        lot.administrations = exposed.get(lot.number, lot.administrations)
    every = event_lots + [lot for group in groups for lot in group.lots]
    held = active_holds_by_lot({lot.id for lot in every})
    for lot in every:
        lot.holds = [h.source for h in held.get(lot.id, [])]
    return EventHoldCandidates(event=event.code, serious=event.flag, event_lots=event_lots, groups=groups)


def event_holds_by_number(number: str) -> list[Hold] | None:
    """The holds placed from the adverse event `number`, newest first; None when no event has it."""
    event = AdverseEvent.objects.filter(number=(number or "").strip()).values_list("pk", flat=True).first()
    if event is None:
        return None
    return list(
        Hold.objects.filter(adverse_event_id=event)
        .select_related("placed_by", "signature")
        .order_by("-placed_at", "-id")
    )
