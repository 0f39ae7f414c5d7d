"""`evqms audit`: verify the chain, export its head, write and print checkpoints, grant the
application's database role."""

from __future__ import annotations

import sys

from evqms.audit.messages import finding_text
from evqms.i18n import _


def register(subparsers) -> None:
    audit = subparsers.add_parser(
        "audit",
        help=_("verify the audit trail's hash chain"),
        epilog=_("Example: evqms audit verify --expect-head 3f2a...  (exit 1 when broken)"),
    )
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(audit))
    verify = audit_sub.add_parser(
        "verify",
        help=_(
            "replay the chain and check it against the stored head, the checkpoints and the "
            "signatures; exit 1 naming what is broken or missing"
        ),
        epilog=_("Example: evqms audit verify --format json"),
    )
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.add_argument(
        "--expect-head", help=_("the head hash exported earlier: detects a rewrite of the whole chain")
    )
    verify.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="LINE",
        help=_("a checkpoint line kept outside this machine (repeatable): the chain must contain it"),
    )
    verify.set_defaults(handler=_verify)

    head = audit_sub.add_parser(
        "export-head",
        help=_("print the head hash for safekeeping outside the database"),
        epilog=_("Example: evqms audit export-head >> /secure/evqms-heads.txt"),
    )
    head.add_argument("--format", choices=["text", "json"], default="text")
    head.set_defaults(handler=_export_head)

    checkpoint = audit_sub.add_parser(
        "checkpoint",
        help=_("write a checkpoint of the chain now (with its MAC) and print it; --print prints the latest"),
        epilog=_("Example: evqms audit checkpoint --print | ssh backup 'cat >> evqms-checkpoints.txt'"),
    )
    checkpoint.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help=_("print the latest checkpoint line without writing one (to copy it off the machine)"),
    )
    checkpoint.add_argument("--format", choices=["text", "json"], default="text")
    checkpoint.set_defaults(handler=_checkpoint)

    search = audit_sub.add_parser(
        "search",
        help=_(
            "search the trail by business key (with the record's records), user, action, area, "
            "words in the reason and local dates"
        ),
        epilog=_(
            "Example: evqms audit search --kind lot --key UCEV-24-001 --since 2024-05-01 --format csv > lot.csv"
        ),
    )
    search.add_argument("--kind", help=_("kind of key: {kinds}").format(kinds=_KIND_NAMES))
    search.add_argument("--key", help=_("the business key: lot number, container id, patient code, ..."))
    search.add_argument("--object-type", help=_("a record as the trail names it (with --object-id)"))
    search.add_argument("--object-id")
    search.add_argument(
        "--no-children", action="store_true", help=_("the record's own events only, not its records'")
    )
    search.add_argument("--actor", help=_("user name of who acted"))
    search.add_argument("--action", help=_("an action or its beginning (lot.)"))
    search.add_argument("--area", help=_("lots, inventory, clinical, trace, dossier, accounts, ..."))
    search.add_argument("--text", help=_("words in the reason"))
    search.add_argument("--since", metavar="YYYY-MM-DD", help=_("first local day (the facility's zone)"))
    search.add_argument("--until", metavar="YYYY-MM-DD", help=_("last local day (the facility's zone)"))
    search.add_argument("--format", choices=["text", "json", "csv"], default="text")
    search.add_argument(
        "--limit",
        type=int,
        default=100,
        help=_("at most this many events in text and JSON (0: all); CSV has all"),
    )
    search.set_defaults(handler=_search)

    grant = audit_sub.add_parser(
        "grant-app-role",
        help=_(
            "PostgreSQL, run as the owner: let the application's role read and write rows but never "
            "delete, update or truncate the audit and signature tables"
        ),
        epilog=_(
            "Example: DATABASE_URL=postgres://evqms_owner@db/evqms evqms audit grant-app-role evqms_app --create"
        ),
    )
    grant.add_argument("role")
    grant.add_argument(
        "--create", action="store_true", help=_("create the role (LOGIN) when it does not exist")
    )
    grant.add_argument(
        "--password-stdin", action="store_true", help=_("set the role's password from standard input")
    )
    grant.set_defaults(handler=_grant_app_role)
    audit.set_defaults(handler=lambda args: audit.print_help() or 2)


_KIND_NAMES = (
    "lot, aliquot, patient, deviation, recall, hold, user, administration, adverse_event, product, ..."
)


def _search(args) -> int:
    from evqms.startup import setup_django

    setup_django()

    from evqms.audit import eventview, exports
    from evqms.audit.search import TrailFilter, search
    from evqms.cliutil import emit, to_json

    params = {
        "kind": args.kind,
        "key": args.key,
        "object_type": args.object_type,
        "object_id": args.object_id,
        "children": "0" if args.no_children else "1",
        "actor": args.actor,
        "action": args.action,
        "area": args.area,
        "text": args.text,
        "since": args.since,
        "until": args.until,
    }
    found = search(TrailFilter.from_params({k: v for k, v in params.items() if v is not None}))
    if args.format == "csv":
        for chunk in exports.csv_lines(found):
            sys.stdout.write(chunk)
        return 0
    if args.limit < 0:
        from evqms.errors import InputError

        raise InputError(_("--limit must be 0 or more"), where="--limit")
    events = found.events if args.limit == 0 else found.events[: args.limit]
    rows = eventview.rows_for(events.iterator(chunk_size=2000))
    if args.format == "json":
        emit(
            to_json(
                {
                    "count": found.events.count(),
                    "notes": [str(n) for n in found.notes],
                    "results": [eventview.event_json(r) for r in rows],
                }
            )
        )
        return 0
    for note in found.notes:
        print(note, file=sys.stderr)
    for r in rows:
        name = r.name or f"#{r.event.object_id}"
        emit(
            f"#{r.event.seq}  {r.when}  {r.event.actor_name}  {r.event.action}  {r.type_label} {name}  {r.event.reason}"
        )
    total = found.events.count()
    if total > len(rows):
        print(
            _("{shown} of {total} events shown (--limit 0 for all)").format(shown=len(rows), total=total),
            file=sys.stderr,
        )
    return 0


def _verify(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.audit.selectors import verify_chain
    from evqms.cliutil import emit, to_json

    result = verify_chain(expect_head=args.expect_head, external_checkpoints=args.checkpoint)
    if args.format == "json":
        data = result.to_dict()
        texts = [finding_text(f) for f in result.findings]
        data["message"] = texts[0] if texts else None
        data["messages"] = texts
        emit(to_json(data))
    elif result.ok:
        emit(_("audit trail intact: {n} events, head {head}").format(n=result.events, head=result.head_hash))
        emit(_checkpoint_summary(result))
    else:
        for finding in result.findings:
            emit(finding_text(finding))
    return 0 if result.ok else 1


def _checkpoint_summary(result) -> str:
    from evqms.core.timefmt import display_local

    cp = result.checkpoint
    if cp is None:
        return _("no checkpoint outside the database yet: run `evqms audit checkpoint`")
    return _("latest checkpoint: event #{seq} at {at}; {since} events since").format(
        seq=cp["seq"], at=display_local(_parse_at(cp["at"])), since=cp["since"]
    )


def _parse_at(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _export_head(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    import datetime as dt

    from evqms.audit.selectors import head_hash
    from evqms.cliutil import emit, to_json
    from evqms.core.timefmt import display_local

    seq, digest = head_hash()
    now = dt.datetime.now(dt.UTC)
    if args.format == "json":
        emit(to_json({"seq": seq, "head_hash": digest, "exported_at": now.isoformat(timespec="seconds")}))
    else:
        # The hash stays the first word (what `audit verify --expect-head` takes); the time is
        # read by a person, so it is local with its zone.
        emit(f"{digest}  seq={seq}  exported_at={display_local(now, seconds=True)}")
    return 0


def _checkpoint(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from evqms.audit import checkpoints
    from evqms.cliutil import emit, to_json

    if args.print_only:
        line = checkpoints.latest_line()
        if line is None:
            print(
                _("no checkpoint yet in {path}: run `evqms audit checkpoint`").format(
                    path=checkpoints.file_path()
                ),
                file=sys.stderr,
            )
            return 1
    else:
        from evqms.audit.services import write_checkpoint

        line = write_checkpoint(reason="requested").line()
    if args.format == "json":
        cp = checkpoints.parse_line(line)
        emit(to_json({**cp.to_dict(), "mac": cp.mac, "line": line, "file": str(checkpoints.file_path())}))
    else:
        emit(line)
    return 0


def _grant_app_role(args) -> int:
    from evqms.startup import setup_django

    setup_django()
    from django.db import connection

    from evqms.audit.dbroles import grant_app_role
    from evqms.errors import InputError

    if connection.vendor != "postgresql":
        raise InputError(
            _("database roles exist on PostgreSQL only (DATABASE_URL is not PostgreSQL)"),
            where="DATABASE_URL",
        )
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    try:
        guarded = grant_app_role(args.role, create=args.create, password=password)
    except LookupError:
        raise InputError(
            _("role {role} does not exist (add --create to create it)").format(role=args.role), where="role"
        ) from None
    print(
        _("role {role} may read and write rows; it cannot update, delete or truncate: {tables}").format(
            role=args.role, tables=", ".join(guarded)
        )
    )
    return 0
