"""Uploaded files, bounded: the form and API field validator every upload uses.

The limit itself lives in `evqms.core.limits` (EVQMS_UPLOAD_LIMIT_MB); this is the Django side:
a validator for `forms.FileField` and DRF's `serializers.FileField`, so an upload above the
limit is refused on its field, in the words of every other importer, before it is read.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from evqms.core import limits
from evqms.errors import InputError


def validate_upload_size(upload) -> None:
    """Django/DRF validator: the upload's size against EVQMS_UPLOAD_LIMIT_MB."""
    try:
        limits.check_size(getattr(upload, "size", None), name=getattr(upload, "name", "") or "")
    except InputError as exc:
        raise ValidationError(str(exc), code="file_too_large") from None


def read_upload(upload) -> bytes:
    """The whole upload (size checked first, then counted while read)."""
    return limits.read_upload(upload)
