"""Two QA reviewers release the same lot at the same moment: exactly one succeeds."""

import threading

import pytest
from django.db import connection
from django.test import RequestFactory

from evqms.audit.models import Signature
from evqms.audit.selectors import verify_chain
from evqms.errors import RuleViolation
from evqms.lots import services
from evqms.lots.models import Lot


@pytest.mark.django_db(transaction=True)
def test_concurrent_release_exactly_one_succeeds(world):
    lot = world.quarantined_lot()
    barrier = threading.Barrier(2)
    outcomes = []

    def release(user):
        request = RequestFactory().post("/")
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        try:
            barrier.wait(timeout=10)
            services.release_lot(
                request=request,
                actor=user,
                lot=Lot.objects.get(pk=lot.pk),
                password=user.raw_password,
                reason="race",
            )
            outcomes.append(("released", user.username))
        except services.ReleaseBlocked as exc:
            outcomes.append(("refused", [p.code for p in exc.problems]))
        except RuleViolation as exc:
            outcomes.append(("other refusal", str(exc)))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            outcomes.append(("error", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=release, args=(u,)) for u in (world.qa, world.qa2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(k for k, _ in outcomes)
    assert kinds == ["refused", "released"], outcomes
    refusal = next(msg for k, msg in outcomes if k == "refused")
    assert refusal == ["status"]  # it saw the lot already released
    assert Signature.objects.filter(meaning="release").count() == 1
    final = Lot.objects.get(pk=lot.pk)
    assert final.status == "released" and final.release_signature.signer.username == next(
        who for k, who in outcomes if k == "released"
    )
    assert verify_chain().ok
