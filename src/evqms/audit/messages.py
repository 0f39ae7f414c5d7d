"""What `evqms audit verify` found, as sentences in the reader's language (CLI and the trail page)."""

from __future__ import annotations

from evqms.i18n import _


def problem_messages() -> dict:
    return {
        "edited": _("the event's content does not match its hash (edited)"),
        "missing": _("an event is missing before it (deleted)"),
        "reordered": _("the event does not link to the one before it (reordered or replaced)"),
        "head-mismatch": _(
            "the chain is internally consistent but its head differs from the expected head (rewritten)"
        ),
        "stored-head-missing": _(
            "the chain has {events} events but the stored chain head is missing (deleted)"
        ),
        "stored-head-ahead": _(
            "the stored chain head is at event #{last} but the chain ends before it: "
            "events #{first} to #{last} are missing (deleted or truncated)"
        ),
        "stored-head-behind": _(
            "the chain goes on to event #{last} but the stored chain head says #{head} (the head was set back)"
        ),
        "stored-head-differs": _(
            "the stored chain head does not match event #{head} (the head or the newest events were altered)"
        ),
        "checkpoint-bad": _(
            "line {line} of the checkpoint file {path} is not a valid checkpoint: its MAC does not match "
            "(forged, replaced, or the key was changed)"
        ),
        "checkpoint-key-missing": _(
            "the checkpoint key is missing, so checkpoint line {line} cannot be checked (the key was deleted)"
        ),
        "checkpoint-file-missing": _(
            "the chain recorded {count} checkpoints but the checkpoint file {path} is missing (deleted)"
        ),
        "checkpoint-line-missing": _(
            "the chain recorded this checkpoint but the checkpoint file {path} does not contain it "
            "(the file was replaced or truncated)"
        ),
        "checkpoint-ahead": _(
            "the checkpoint of {at} records event #{last} but the chain ends before it: "
            "events #{first} to #{last} are missing since that checkpoint"
        ),
        "checkpoint-differs": _(
            "the event does not have the hash the checkpoint of {at} recorded (rewritten)"
        ),
        "signature-missing": _("signature {signature} recorded by this event is missing (deleted)"),
        "signature-altered": _("signature {signature} does not match what this event recorded (altered)"),
        "signature-unrecorded": _(
            "signature {signature} has no event in the audit trail (written outside the application)"
        ),
        "invalidation-missing": _(
            "the invalidation of signature {signature} recorded by this event is missing (deleted)"
        ),
        "invalidation-altered": _(
            "the invalidation of signature {signature} does not match what this event recorded (altered)"
        ),
        "invalidation-unrecorded": _(
            "the invalidation of signature {signature} has no event in the audit trail (written outside the application)"
        ),
    }


def finding_text(finding) -> str:
    """One finding as a sentence in the reader's language (times in local time)."""
    from evqms.core.timefmt import display_local

    detail = dict(finding.detail)
    if "at" in detail:
        detail["at"] = display_local(detail["at"])
    template = problem_messages().get(finding.problem, finding.problem)
    message = template.format(**detail)
    if finding.seq is not None:
        return _("audit trail BROKEN at event #{seq}: {problem}").format(seq=finding.seq, problem=message)
    return _("audit trail BROKEN: {problem}").format(problem=message)
