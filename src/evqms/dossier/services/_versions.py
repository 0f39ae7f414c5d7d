"""The life cycle every versioned dossier record shares (documents, processes, specifications): a
new draft, changes only while it is a draft, approval with a signature by someone who did not
author the version, and supersession of the version approved before it."""

from __future__ import annotations

from django.db import transaction

from evqms.accounts.rules import require
from evqms.audit.services import check_signing_password, record_event, write_signature
from evqms.changes.models import OPEN_FOR_VERSIONS, ChangeRequest
from evqms.core.db import lock_for_update
from evqms.dossier import models as m
from evqms.dossier.services._common import EDITABLE, ImmutableRecord, _authors
from evqms.errors import InputError, RuleViolation
from evqms.i18n import _


def editable(record, what: str) -> None:
    """Refuse a change to a version that is no longer a draft."""
    if record.status != EDITABLE:
        raise ImmutableRecord(
            _(
                "{what} v{version} is {status}: approved versions are never changed; create a new version"
            ).format(what=what, version=record.version, status=record.get_status_display())
        )


def new_draft_version(model, product: m.Product, description: str, draft_exists_message: str):
    """Create the next draft version of a versioned record (process or specification) of `product`.

    The product row is locked so two users cannot both create version n+1; a product has at most
    one draft of each kind. Returns (new version, previous latest version or None)."""
    lock_for_update(m.Product.objects.filter(pk=product.pk)).get()
    versions = model.objects.filter(product=product)
    if versions.filter(status=EDITABLE).exists():
        raise RuleViolation(draft_exists_message)
    previous = versions.order_by("-version").first()
    new = model.objects.create(
        product=product,
        version=(previous.version + 1) if previous else 1,
        status=EDITABLE,
        description=description or "",
    )
    return new, previous


def update_description(actor, locked, kind: str, description: str, summary):
    before = summary(locked)
    locked.description = description or ""
    locked.save(update_fields=["description"])
    record_event(
        actor=actor,
        action=f"{kind}.update",
        object_type=kind,
        object_id=locked.pk,
        before=before,
        after=summary(locked),
    )
    return locked


def approve_version(
    *,
    request,
    actor,
    password: str,
    reason: str,
    obj,
    kind: str,
    perm: str,
    lock,
    has_content,
    empty_message,
    signed_record,
    summary,
):
    """QA approval of a draft version (process or specification) with a signature; the product's
    previously approved version of that kind becomes superseded. Nobody approves their own version."""
    require(actor, perm)
    why = _("an author of this version may not approve it")
    check_signing_password(
        request=request,
        signer=actor,
        password=password,
        prohibited=[(pk, why) for pk in _authors(kind, obj.pk)],
    )
    with transaction.atomic():
        locked = lock(obj)
        if actor.pk in _authors(kind, locked.pk):
            raise RuleViolation(why)
        if not has_content(locked):
            raise RuleViolation(empty_message)
        require_change_control(locked, kind)
        signature = write_signature(
            signer=actor,
            meaning="approval",
            object_type=kind,
            object_id=locked.pk,
            record=signed_record(locked),
            reason=reason,
        )
        supersede(
            type(locked).objects.filter(product=locked.product, status="approved"), actor, kind, summary
        )
        before = summary(locked)
        locked.status = "approved"
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            action=f"{kind}.approve",
            object_type=kind,
            object_id=locked.pk,
            before=before,
            after={**summary(locked), "signature_id": signature.pk},
            reason=reason,
        )
    return locked


def supersede(queryset, actor, object_type: str, record) -> None:
    """Mark the versions in `queryset` superseded, each change audited with `record` before and after."""
    for old in lock_for_update(queryset):
        before = record(old)
        old.status = "superseded"
        old.save(update_fields=["status"])
        record_event(
            actor=actor,
            action=f"{object_type}.supersede",
            object_type=object_type,
            object_id=old.pk,
            before=before,
            after=record(old),
        )


def is_a_change(version) -> bool:
    """A version after one that was approved changes an approved definition: change control applies."""
    return (
        type(version)
        .objects.filter(
            product=version.product, version__lt=version.version, status__in=("approved", "superseded")
        )
        .exists()
    )


def require_change_control(version, kind: str) -> None:
    """Refuse approving a changed version unless it is made under an approved change request."""
    if not is_a_change(version):
        return
    cr = version.change_request
    what = _("process") if kind == "process" else _("specification")
    if cr is None:
        raise RuleViolation(
            _(
                "{what} v{version} changes an approved version: it can be approved only under an approved "
                "change request (link one to this version)"
            ).format(what=what, version=version.version)
        )
    if cr.status not in OPEN_FOR_VERSIONS:
        raise RuleViolation(
            _("change request {number} is {status}: {what} v{version} cannot be approved under it").format(
                number=cr.number, status=cr.get_status_display(), what=what, version=version.version
            )
        )


def usable_change_request(change_request: ChangeRequest, kind: str, product) -> ChangeRequest:
    """The change request a draft version may be made under: approved, of the version's kind, for
    the version's product (or for no product in particular)."""
    cr = lock_for_update(ChangeRequest.objects.filter(pk=change_request.pk)).get()
    if cr.status not in OPEN_FOR_VERSIONS:
        raise InputError(
            _("change request {number} is {status}: only an approved change can carry a new version").format(
                number=cr.number, status=cr.get_status_display()
            ),
            where="change_request",
        )
    if cr.kind != kind:
        raise InputError(
            _("change request {number} is a change of: {kind}; it cannot carry a {what} version").format(
                number=cr.number,
                kind=cr.get_kind_display(),
                what=_("process") if kind == "process" else _("specification"),
            ),
            where="change_request",
        )
    if cr.product_code and cr.product_code.lower() != product.code.lower():
        raise InputError(
            _("change request {number} is for product {code}").format(number=cr.number, code=cr.product_code),
            where="change_request",
        )
    return cr


def link_change_request(actor, locked, kind: str, change_request, summary):
    """Make a draft version (locked by the caller) a part of an approved change request."""
    before = summary(locked)
    locked.change_request = usable_change_request(change_request, kind, locked.product)
    locked.save(update_fields=["change_request"])
    record_event(
        actor=actor,
        action=f"{kind}.link_change_request",
        object_type=kind,
        object_id=locked.pk,
        before=before,
        after=summary(locked),
    )
    return locked
