"""The registry export as one CDISC ODM 1.3.2 document: Study / MetaDataVersion (one ItemGroupDef
per dataset, an ItemDef per column, a CodeList per set of controlled terms) and ClinicalData with
one SubjectData per patient, keyed by the pseudonym code. Empty values are left out, as ODM asks
(an absent ItemData is a missing value)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from evqms.reports.registry.columns import DATASETS, codelists

NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STUDY_EVENT = "SE.REGISTRY"
FORM = "F.REGISTRY"
MDV = "MDV.REGISTRY.1"
# ODM DataType of each column type
DATA_TYPES = {"text": "text", "integer": "integer", "float": "float", "date": "date", "datetime": "datetime"}


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _sub(parent, tag: str, **attrs) -> ET.Element:
    return ET.SubElement(parent, _q(tag), {k: str(v) for k, v in attrs.items() if v is not None})


def _texts(parent, tag: str, label: dict[str, str]) -> None:
    holder = _sub(parent, tag)
    for lang in ("en", "ja"):
        text = _sub(holder, "TranslatedText")
        text.set(XML_LANG, lang)
        text.text = label[lang]


def _units() -> list[str]:
    return sorted({c.unit for d in DATASETS for c in d.columns if c.unit})


def _unit_oid(unit: str) -> str:
    return f"MU.{unit}"


def _metadata(study, *, product_name: str) -> None:
    units = _units()
    if units:
        basic = _sub(study, "BasicDefinitions")
        for unit in units:
            mu = _sub(basic, "MeasurementUnit", OID=_unit_oid(unit), Name=unit)
            _texts(mu, "Symbol", {"en": unit, "ja": unit})
    mdv = _sub(study, "MetaDataVersion", OID=MDV, Name="evqms registry export", Description=product_name)
    protocol = _sub(mdv, "Protocol")
    _sub(protocol, "StudyEventRef", StudyEventOID=STUDY_EVENT, OrderNumber=1, Mandatory="Yes")
    event = _sub(mdv, "StudyEventDef", OID=STUDY_EVENT, Name="Registry", Repeating="No", Type="Common")
    _sub(event, "FormRef", FormOID=FORM, OrderNumber=1, Mandatory="Yes")
    form = _sub(mdv, "FormDef", OID=FORM, Name="Registry", Repeating="No")
    for order, dataset in enumerate(DATASETS, start=1):
        _sub(form, "ItemGroupRef", ItemGroupOID=dataset.oid, OrderNumber=order, Mandatory="No")
    for dataset in DATASETS:
        group = _sub(
            mdv,
            "ItemGroupDef",
            OID=dataset.oid,
            Name=dataset.name,
            Repeating="Yes" if dataset.repeating else "No",
            SASDatasetName=dataset.name,
            Domain=dataset.name,
            Purpose="Tabulation",
        )
        _texts(group, "Description", {"en": dataset.en, "ja": dataset.ja})
        keys = 0
        for order, column in enumerate(dataset.columns, start=1):
            attrs = {
                "ItemOID": dataset.item_oid(column),
                "OrderNumber": order,
                "Mandatory": "Yes" if column.key else "No",
            }
            if column.key:
                keys += 1
                attrs["KeySequence"] = keys
            _sub(group, "ItemRef", **attrs)
    lists = codelists()
    for dataset in DATASETS:
        for column in dataset.columns:
            item = _sub(
                mdv,
                "ItemDef",
                OID=dataset.item_oid(column),
                Name=column.name,
                DataType=DATA_TYPES[column.type],
                SDSVarName=column.cdisc,
            )
            _texts(item, "Description", column.label)
            if column.unit:
                _sub(item, "MeasurementUnitRef", MeasurementUnitOID=_unit_oid(column.unit))
            if column.codelist:
                _sub(item, "CodeListRef", CodeListOID=lists[column.codelist].oid)
    used = sorted({c.codelist for d in DATASETS for c in d.columns if c.codelist})
    for key in used:
        codelist = lists[key]
        element = _sub(mdv, "CodeList", OID=codelist.oid, Name=codelist.name, DataType=codelist.data_type)
        for order, (code, label) in enumerate(codelist.terms, start=1):
            term = _sub(element, "CodeListItem", CodedValue=code, OrderNumber=order)
            _texts(term, "Decode", label)


def _clinical(root, rows: dict[str, list[dict]], *, study_oid: str) -> None:
    clinical = _sub(root, "ClinicalData", StudyOID=study_oid, MetaDataVersionOID=MDV)
    subjects: dict[str, list[tuple]] = {}
    for dataset in DATASETS:
        for row in rows.get(dataset.name, []):
            subjects.setdefault(row["USUBJID"], []).append((dataset, row))
    for subject in sorted(subjects):
        data = _sub(clinical, "SubjectData", SubjectKey=subject)
        event = _sub(data, "StudyEventData", StudyEventOID=STUDY_EVENT)
        form = _sub(event, "FormData", FormOID=FORM)
        repeat: dict[str, int] = {}
        for dataset, row in subjects[subject]:
            repeat[dataset.name] = repeat.get(dataset.name, 0) + 1
            group = _sub(
                form, "ItemGroupData", ItemGroupOID=dataset.oid, ItemGroupRepeatKey=repeat[dataset.name]
            )
            for column in dataset.columns:
                value = row.get(column.name, "")
                if value != "":
                    _sub(group, "ItemData", ItemOID=dataset.item_oid(column), Value=value)


def odm_xml(rows: dict[str, list[dict]], *, product, created: str, file_oid: str, description: str) -> bytes:
    """The ODM document (UTF-8 bytes). `created` is the extraction time, ISO 8601 with offset."""
    ET.register_namespace("", NS)
    root = ET.Element(
        _q("ODM"),
        {
            "ODMVersion": "1.3.2",
            "FileType": "Snapshot",
            "Granularity": "All",
            "FileOID": file_oid,
            "CreationDateTime": created,
            "Description": description,
            "Originator": "evqms",
            "SourceSystem": "evqms",
        },
    )
    study_oid = f"ST.{product.code}"
    study = _sub(root, "Study", OID=study_oid)
    variables = _sub(study, "GlobalVariables")
    _sub(variables, "StudyName").text = product.name or product.code
    _sub(variables, "StudyDescription").text = description
    _sub(variables, "ProtocolName").text = product.code
    _metadata(study, product_name=product.name or product.code)
    _clinical(root, rows, study_oid=study_oid)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
