"""`evqms notify digest` (daily) and `evqms notify due` (hourly): the work-queue e-mails
(evqms.web.notify), for cron. Both are safe to run again: nothing is sent twice."""

from __future__ import annotations

from evqms.i18n import _


def register(subparsers) -> None:
    notify = subparsers.add_parser(
        "notify",
        help=_("send the work-queue e-mails: the daily digest, the tasks due within 24 hours"),
        description=_(
            "Sends through Django's mail framework (EVQMS_EMAIL_BACKEND: console, file or smtp). Each "
            "person gets one digest a day and one message per task due within 24 hours, in their "
            "language, unless they turned them off; a second run sends nothing again."
        ),
        epilog=_("Example (crontab): 0 7 * * * evqms notify digest ; 5 * * * * evqms notify due"),
    )
    sub = notify.add_subparsers(dest="notify_command", metavar="ACTION", parser_class=type(notify))
    digest = sub.add_parser(
        "digest",
        help=_("one message a day per person with their tasks, oldest due first"),
        epilog=_("Example: evqms notify digest"),
    )
    digest.add_argument("--format", choices=["text", "json"], default="text")
    digest.set_defaults(handler=run_digest)
    due = sub.add_parser(
        "due",
        help=_("a message for each task that falls due within 24 hours (once per task)"),
        epilog=_("Example: evqms notify due"),
    )
    due.add_argument("--format", choices=["text", "json"], default="text")
    due.set_defaults(handler=run_due)
    notify.set_defaults(handler=lambda args: notify.print_help() or 2)


def _report(args, outcome) -> int:
    from evqms.cliutil import emit, to_json

    if args.format == "json":
        emit(to_json({"sent": outcome.sent, "skipped": outcome.skipped}), None)
    else:
        print(_("sent {sent}, skipped {skipped}").format(sent=outcome.sent, skipped=outcome.skipped))
    return 0


def run_digest(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.web import notify

    return _report(args, notify.send_digests())


def run_due(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.web import notify

    return _report(args, notify.send_due())
