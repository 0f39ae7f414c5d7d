"""The registry export of a product's clinical evidence: pseudonymised datasets named after CDISC
SDTM domains (DM, EX, AE, QS, SV) as CSV with a definition of every column (define.json), the same
data as CDISC ODM 1.3.2 XML, and a README with the extraction time and file hashes, in one zip.
The mapping is documented in docs/registry-export.md."""

from evqms.reports.registry.columns import DATASETS, codelists
from evqms.reports.registry.datasets import age_in_years, registry_rows
from evqms.reports.registry.package import RegistryPackage, build_package, define_record
from evqms.reports.registry.period import ExportPeriod, parse_period
from evqms.reports.registry.services import PERMISSION, export_registry

__all__ = [
    "DATASETS",
    "PERMISSION",
    "ExportPeriod",
    "RegistryPackage",
    "age_in_years",
    "build_package",
    "codelists",
    "define_record",
    "export_registry",
    "parse_period",
    "registry_rows",
]
