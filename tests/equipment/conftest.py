
import pytest


@pytest.fixture
def qa(make_user):
    return make_user("qa1", "qa_reviewer")


@pytest.fixture
def analyst(make_user):
    return make_user("an1", "qc_analyst")


@pytest.fixture
def room(qa):
    from evqms.equipment import services

    return services.create_room(actor=qa, code="CR-B01", name="Cleanroom 1", grade="B")


@pytest.fixture
def nta(qa, analyst, room):
    """An NTA calibrated every 180 days, owned by the analyst."""
    from evqms.equipment import services

    return services.register_instrument(
        actor=qa,
        identifier="NTA-01",
        kind="nta",
        name="NanoSight NS300",
        room=room,
        owner=analyst,
        calibration_interval_days=180,
        maintenance_interval_days=365,
    )
