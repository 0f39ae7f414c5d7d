from types import SimpleNamespace

import pytest


@pytest.fixture
def people(make_user):
    return SimpleNamespace(
        operator=make_user("op1", "operator"),
        analyst=make_user("qc1", "qc_analyst"),
        qa=make_user("qa1", "qa_reviewer"),
        qa2=make_user("qa2", "qa_reviewer"),
        physician=make_user("dr1", "physician"),
        auditor=make_user("au1", "auditor"),
    )


@pytest.fixture
def product(people):
    from evqms.dossier import services

    return services.create_product(
        actor=people.qa,
        code="ucmsc-sev-oa",
        name="UC-MSC small EVs for knee osteoarthritis",
        source_cell_type="uc_msc",
        origin="allogeneic",
        indications="Knee osteoarthritis",
        routes=["intra_articular"],
        dose_unit="particles",
        responsible_physician=people.physician,
    )
