"""Named checks: small functions that decide one fact about an evidence snapshot.

A rule-set item lists the checks that decide it by name (with parameters); `REGISTRY` maps the
names to the functions. Importing this package registers every check module.
"""

from evqms.guidance.checks import (  # noqa: E402,F401  (registration by import)
    attestation,
    characterisation,
    collection,
    efficacy,
    process,
    quality,
    records,
    retention,
    risk_register,
    specdefaults,
)
from evqms.guidance.checks.base import REGISTRY, CheckContext, CheckResult, check  # noqa: F401
