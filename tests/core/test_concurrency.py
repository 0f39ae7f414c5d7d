import pytest

from evqms.core.concurrency import fingerprint, require_unchanged
from evqms.errors import EditConflict, RuleViolation


def test_fingerprint_follows_the_content_not_the_key_order():
    assert fingerprint({"a": 1, "b": "x"}) == fingerprint({"b": "x", "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_require_unchanged():
    record = {"vials": 20, "location": "Tank 1"}
    require_unchanged(None, record, what="bank")  # no form, no check
    require_unchanged(fingerprint(record), record, what="bank")
    with pytest.raises(EditConflict, match="MCB-1 was changed by someone else") as exc:
        require_unchanged(fingerprint(record), {**record, "vials": 15}, what="MCB-1")
    assert isinstance(exc.value, RuleViolation)  # the API answers 409 Conflict
