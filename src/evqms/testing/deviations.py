"""Take a deviation through QA's whole closure with the services, for tests whose subject is what
comes after it (a release, an audit trail): classified minor, investigated, no impact on each lot
it names, closed with the QA user's password."""

from __future__ import annotations

from evqms.core.demo import signing_request


def settle_deviation(deviation, qa, *, resolution: str = "investigated", classification: str = "minor"):
    from evqms.lots import services

    services.classify_deviation(
        actor=qa, deviation=deviation, classification=classification, reason="assessed by QA"
    )
    services.record_investigation(
        actor=qa, deviation=deviation, root_cause_category="unknown", investigation="investigated"
    )
    for lot in deviation.affected_lots.all():
        services.assess_impact(
            actor=qa, deviation=deviation, lot=lot, assessment="no_impact", reasoning="no effect on the lot"
        )
    return services.close_deviation(
        request=signing_request("/"),
        actor=qa,
        deviation=deviation,
        password=qa.raw_password,
        resolution=resolution,
    )
