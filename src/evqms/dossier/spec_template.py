"""The default EV release specification (guidance catalogue section 8, rule set `release-spec-defaults`).

Every number here is an example or a default to configure for the product, never a JSRM
requirement: each attribute's `source` says where its number comes from and whether it is a
published value or an evqms default. Guidance item IDs link each attribute to the JSRM items
(JSRM-2-R1 contamination control, JSRM-3-R1 size and markers, JSRM-3-R3 CQAs, JSRM-3-R4
potency) and to the SPEC-* defaults it implements.

Endotoxin follows SPEC-END-1 (USP <85>): limit EL = K / M, with K = 5 EU/kg for any route
except intrathecal (K = 0.2 EU/kg) and M the maximum dose in mL per kg (per hour when infused).
Without a maximum dose the published example < 0.5 EU/mL (SPEC-END-3) is used.
"""

from __future__ import annotations

import copy
from decimal import ROUND_DOWN, Decimal

K_EU_PER_KG = Decimal("5")
K_INTRATHECAL_EU_PER_KG = Decimal("0.2")
DEFAULT_ENDOTOXIN_EU_PER_ML = Decimal("0.5")
POS_NEG = ["positive", "negative"]

TEMPLATE_SOURCE = "evqms release template 1.0 (guidance catalogue section 8)"


def endotoxin_limit(routes: list[str], max_dose_ml_per_kg: Decimal | None) -> tuple[Decimal, str]:
    """EL = K/M in EU/mL, and the text that says how it was derived."""
    if max_dose_ml_per_kg is None or max_dose_ml_per_kg <= 0:
        return DEFAULT_ENDOTOXIN_EU_PER_ML, (
            "SPEC-END-3 (S26) example < 0.5 EU/mL: DEFAULT TO CONFIGURE; derive EL = K/M "
            "(SPEC-END-1, USP <85>: K = 5 EU/kg, 0.2 EU/kg intrathecal; M = max dose mL/kg)"
        )
    intrathecal = "intrathecal" in (routes or [])
    k = K_INTRATHECAL_EU_PER_KG if intrathecal else K_EU_PER_KG
    limit = (k / max_dose_ml_per_kg).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return limit, (
        f"SPEC-END-1 (USP <85>): EL = K/M = {k} EU/kg / {max_dose_ml_per_kg} mL/kg = {limit} EU/mL "
        f"(K = {k} EU/kg {'intrathecal' if intrathecal else 'non-intrathecal'})"
    )


_POSITIVE = "SPEC-ID-1 (S25) / SPEC-ID-2 (S26): EV marker expected positive"
_NEGATIVE = "SPEC-ID-1 (S25) / SPEC-ID-2 (S26): non-EV marker expected negative"


def _marker(code: str, name: str, expected: str) -> dict:
    return dict(
        code=f"marker_{code}",
        name=f"EV marker {name}",
        method="Western blot",
        kind="qualitative",
        stage="release",
        is_cqa=True,
        choices=list(POS_NEG),
        acceptable=[expected],
        guidance_items=["JSRM-3-R1", "SPEC-ID-1"],
        source=_POSITIVE if expected == "positive" else _NEGATIVE,
    )


# The default release attributes in the order they are listed (each gets order 10, 20, ...).
RELEASE_ATTRIBUTES: tuple[dict, ...] = (
    dict(
        code="particle_concentration",
        name="Particle concentration",
        method="NTA",
        kind="quantitative",
        unit="particles/mL",
        lower=Decimal("1e10"),
        stage="release",
        is_cqa=True,
        decimal_places=None,
        guidance_items=["JSRM-3-R1", "JSRM-3-R3", "SPEC-CONC-1"],
        source="DEFAULT TO CONFIGURE: >= 1e10 particles/mL; set to the labelled amount +/- 20 % "
        "(SPEC-CONC-1, S25)",
    ),
    dict(
        code="size_mode",
        name="Modal particle size (mode)",
        method="NTA",
        kind="quantitative",
        unit="nm",
        lower=Decimal("50"),
        upper=Decimal("200"),
        alert_lower=Decimal("60"),
        alert_upper=Decimal("180"),
        decimal_places=0,
        stage="release",
        is_cqa=True,
        guidance_items=["JSRM-3-R1", "SPEC-SIZE-2"],
        source="SPEC-SIZE-2 (S26): distribution < 200 nm with the peak inside; 50-200 nm window and "
        "alert limits 60/180 nm are DEFAULTS TO CONFIGURE",
    ),
    dict(
        code="size_median_d50",
        name="Median particle size (D50)",
        method="NTA",
        kind="quantitative",
        unit="nm",
        lower=Decimal("50"),
        upper=Decimal("200"),
        decimal_places=0,
        stage="release",
        is_cqa=False,
        guidance_items=["JSRM-3-R1", "SPEC-SIZE-3"],
        source="SPEC-SIZE-3 (S15): small EV < 200 nm; 50-200 nm window is a DEFAULT TO CONFIGURE",
    ),
    dict(
        code="size_fraction_50_400nm",
        name="Particles within 50-400 nm",
        method="NTA",
        kind="quantitative",
        unit="%",
        lower=Decimal("90"),
        lower_inclusive=False,
        upper=Decimal("100"),
        decimal_places=1,
        stage="release",
        is_cqa=False,
        guidance_items=["JSRM-3-R1", "SPEC-SIZE-1"],
        source="SPEC-SIZE-1 (S25): particles 50-400 nm > 90 % (published example)",
    ),
    _marker("cd9", "CD9", "positive"),
    _marker("cd63", "CD63", "positive"),
    _marker("cd81", "CD81", "positive"),
    _marker("tsg101", "TSG101", "positive"),
    _marker("alix", "ALIX", "positive"),
    _marker("calnexin", "Calnexin", "negative"),
    _marker("gm130", "GM130", "negative"),
    dict(
        code="particle_protein_ratio",
        name="Particle-to-protein ratio",
        method="NTA + BCA",
        kind="quantitative",
        unit="particles/ug",
        lower=Decimal("2e9"),
        alert_lower=Decimal("3e10"),
        stage="release",
        is_cqa=True,
        guidance_items=["JSRM-3-R3", "SPEC-PUR-2"],
        source="SPEC-PUR-2 (Webber & Clayton 2013, S23): ≥ 2 × 10⁹ particles/µg (low purity) passes, "
        "< 3 × 10¹⁰ (not high purity) alerts; numbers RECALLED, verify before use",
    ),
    dict(
        code="protein_content",
        name="Protein content",
        method="BCA",
        kind="quantitative",
        unit="ug/mL",
        stage="release",
        is_cqa=True,
        guidance_items=["JSRM-3-R3", "SPEC-PROT-1"],
        source="SPEC-PROT-1 (S25): reported, no limit; set a range when the product's CQA is defined",
    ),
    dict(
        code="sterility",
        name="Sterility",
        method="JP 4.06 / USP <71> (14 days)",
        kind="qualitative",
        choices=["no growth", "growth"],
        acceptable=["no growth"],
        stage="release",
        is_cqa=True,
        guidance_items=["JSRM-2-R1", "SPEC-STE-1"],
        source="SPEC-STE-1 (S22, S25, S26): negative (no growth), compendial method",
    ),
    dict(
        code="endotoxin",
        name="Endotoxin",
        method="LAL kinetic chromogenic (JP 4.01)",
        kind="quantitative",
        unit="EU/mL",
        upper_inclusive=False,
        decimal_places=2,
        stage="release",
        is_cqa=True,
        guidance_items=["JSRM-2-R1", "SPEC-END-1"],
        # upper, alert_upper and source: derived per product by release_template()
    ),
    dict(
        code="mycoplasma",
        name="Mycoplasma",
        method="NAT (LOD <= 10 CFU/mL, Ph. Eur. 2.6.7)",
        kind="qualitative",
        choices=["negative", "positive"],
        acceptable=["negative"],
        stage="release",
        is_cqa=True,
        guidance_items=["JSRM-2-R1", "SPEC-MYC-1"],
        source="SPEC-MYC-1 (Ph. Eur. 2.6.7, S28): negative; NAT LOD <= 10 CFU/mL or < 100 copies/mL",
    ),
    dict(
        code="appearance",
        name="Appearance",
        method="Visual inspection",
        kind="qualitative",
        choices=["conforms", "does not conform"],
        acceptable=["conforms"],
        stage="release",
        is_cqa=False,
        guidance_items=["JSRM-2-R1"],
        source="evqms DEFAULT TO CONFIGURE: clear to slightly opalescent, no visible particles",
    ),
    dict(
        code="potency_relative",
        name="Relative potency",
        method="In-vitro potency assay vs reference lot",
        kind="quantitative",
        unit="%",
        lower=Decimal("50"),
        upper=Decimal("150"),
        alert_lower=Decimal("70"),
        alert_upper=Decimal("130"),
        decimal_places=0,
        stage="release",
        is_cqa=True,
        guidance_items=["JSRM-3-R4", "SPEC-POT-1"],
        source="DEFAULT TO CONFIGURE: 50-150 % of the reference lot (alert 70-130 %); assay per "
        "mode of action (SPEC-POT-1, S25)",
    ),
)


def release_template(
    *, routes: list[str] | None = None, max_dose_ml_per_kg: Decimal | None = None
) -> list[dict]:
    """The attributes of the default release specification, in order (validated by the service):
    the table above with the endotoxin limit derived for the product's routes and dose."""
    endotoxin_upper, endotoxin_source = endotoxin_limit(routes or [], max_dose_ml_per_kg)
    attrs = copy.deepcopy(list(RELEASE_ATTRIBUTES))
    for i, a in enumerate(attrs, start=1):
        a["order"] = i * 10
        if a["code"] == "endotoxin":
            a["upper"] = endotoxin_upper
            a["alert_upper"] = (endotoxin_upper / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
            a["source"] = endotoxin_source
    return attrs
