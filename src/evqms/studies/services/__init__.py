"""Writes for studies: NTA exports into QC results, potency runs, stability and in-vivo study records.

Every function takes keyword arguments and an explicit `actor`, checks the role
(`studies/rules.py`), runs in one transaction and writes its audit event in it. QC results are
recorded only through `evqms.lots.services.record_qc_result` (frozen limits, verdict, OOS
deviation); what the instrument file gave is added to the result's `derived` figures.
"""

from evqms.studies.services.invivo import create_biodistribution_study, create_dose_response_study
from evqms.studies.services.nta import (
    CONCENTRATION_UNIT,
    DEFAULT_CONCENTRATION_CODES,
    DEFAULT_SIZE_CODES,
    FRACTION_RE,
    SIZE_STATISTICS,
    SIZE_UNIT,
    NTAWarnings,
    attach_nta_export,
    default_nta_statistic,
    nta_attribute_plan,
    nta_captured_at,
    parse_nta_export,
)
from evqms.studies.services.potency import (
    create_potency_assay,
    fit_potency_plate,
    potency_attribute,
    record_potency_run,
)
from evqms.studies.services.stability import add_stability_result, create_stability_study

__all__ = [
    "CONCENTRATION_UNIT",
    "DEFAULT_CONCENTRATION_CODES",
    "DEFAULT_SIZE_CODES",
    "FRACTION_RE",
    "SIZE_STATISTICS",
    "SIZE_UNIT",
    "NTAWarnings",
    "add_stability_result",
    "attach_nta_export",
    "create_biodistribution_study",
    "create_dose_response_study",
    "create_potency_assay",
    "create_stability_study",
    "default_nta_statistic",
    "fit_potency_plate",
    "nta_attribute_plan",
    "nta_captured_at",
    "parse_nta_export",
    "potency_attribute",
    "record_potency_run",
]
