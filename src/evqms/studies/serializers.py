"""Shapes of the studies API (output as stored; input shape only, the services check the rules)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evqms.core.uploads import validate_upload_size
from evqms.studies import selectors


def _decimal(**kw):
    return serializers.DecimalField(max_digits=30, decimal_places=10, coerce_to_string=True, **kw)


# --- NTA ------------------------------------------------------------------------------------


class NTAQCResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    attribute = serializers.CharField(source="attribute.code")
    value = _decimal(allow_null=True)
    unit = serializers.CharField()
    reported_value = _decimal(allow_null=True)
    verdict = serializers.CharField()
    status = serializers.CharField()


class NTAImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lot = serializers.CharField(source="lot.number")
    product = serializers.CharField(source="lot.product.code")
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    instrument = serializers.CharField()
    software = serializers.CharField()
    concentration_per_ml = serializers.SerializerMethodField()
    size_nm = serializers.SerializerMethodField()
    warnings = serializers.ListField(child=serializers.CharField())
    warnings_confirmed = serializers.BooleanField()
    filled = serializers.DictField(child=serializers.CharField(), help_text="attribute code -> statistic")
    imported_by = serializers.CharField(source="imported_by.username")
    imported_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_concentration_per_ml(self, obj):
        return obj.parsed.get("concentration_per_ml")

    @extend_schema_field(serializers.DictField(child=serializers.FloatField(allow_null=True)))
    def get_size_nm(self, obj):
        return obj.parsed.get("size_nm") or {}


class NTAComparisonRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    stated = serializers.FloatField(allow_null=True)
    recomputed = serializers.FloatField(allow_null=True)
    agrees = serializers.BooleanField(allow_null=True)


class NTAImportDetailSerializer(NTAImportSerializer):
    comparison = serializers.SerializerMethodField()
    qc_results = serializers.SerializerMethodField()
    parsed = serializers.JSONField(help_text="figures recomputed from the file")

    @extend_schema_field(NTAComparisonRowSerializer(many=True))
    def get_comparison(self, obj):
        return NTAComparisonRowSerializer(selectors.nta_comparison(obj.parsed), many=True).data

    @extend_schema_field(NTAQCResultSerializer(many=True))
    def get_qc_results(self, obj):
        qs = obj.qc_results.select_related("attribute").order_by("attribute__order", "id")
        return NTAQCResultSerializer(qs, many=True).data


class NTAUploadSerializer(serializers.Serializer):
    lot = serializers.CharField(help_text="lot number")
    file = serializers.FileField(
        help_text="NanoSight ExperimentSummary.csv or ZetaView .txt export", validators=[validate_upload_size]
    )
    tested_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="omitted: the file's capture time (required when it has none)",
    )
    tested_at_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="required when tested_at differs from the file's capture time",
    )
    dilution = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="required when the file records no dilution (1 = undiluted)",
    )
    concentration_attribute = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="attribute code; empty: particle_concentration when present",
    )
    size_attributes = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        help_text="attribute code -> statistic (mean, mode, sd, d10, d50, d90), in a form as "
        "size_attributes.<code>=<statistic>; omitted: the default codes",
    )
    confirm_warnings = serializers.BooleanField(required=False, default=False)


class NTAWarningsSerializer(serializers.Serializer):
    """409: `warnings` and `comparison` only when the export has warnings to confirm."""

    error = serializers.CharField()
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
    comparison = NTAComparisonRowSerializer(many=True, required=False)


# --- potency --------------------------------------------------------------------------------


class PotencyAssaySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField(source="product.code")
    name = serializers.CharField()
    mechanism = serializers.CharField()
    indication_code = serializers.CharField()
    indication = serializers.CharField()
    readout = serializers.CharField()
    kind = serializers.CharField()
    reference_lot = serializers.CharField(source="reference_lot.number")
    model = serializers.CharField()
    dose_unit = serializers.CharField()
    acceptance_low = serializers.DecimalField(max_digits=8, decimal_places=2)
    acceptance_high = serializers.DecimalField(max_digits=8, decimal_places=2)
    qc_attribute_code = serializers.CharField()
    guidance_items = serializers.ListField(child=serializers.CharField())


class PotencyRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assay_id = serializers.IntegerField()
    assay = serializers.CharField(source="assay.name")
    product = serializers.CharField(source="assay.product.code")
    test_lot = serializers.CharField(source="test_lot.number")
    reference_lot = serializers.CharField(source="assay.reference_lot.number")
    model = serializers.CharField(source="assay.model")
    relative_potency_pct = serializers.DecimalField(max_digits=12, decimal_places=4)
    ci_low_pct = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    ci_high_pct = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    acceptance_low = serializers.DecimalField(source="assay.acceptance_low", max_digits=8, decimal_places=2)
    acceptance_high = serializers.DecimalField(source="assay.acceptance_high", max_digits=8, decimal_places=2)
    within_acceptance = serializers.BooleanField()
    parallelism_p = serializers.FloatField(allow_null=True)
    parallel = serializers.BooleanField()
    qc_result = serializers.IntegerField(source="qc_result_id", allow_null=True)
    original_name = serializers.CharField()
    sha256 = serializers.CharField()
    analyst = serializers.CharField(source="analyst.username")
    tested_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField()


class PotencyRunDetailSerializer(PotencyRunSerializer):
    columns = serializers.JSONField()
    fitted = serializers.JSONField(help_text="the fitted curves, parallelism test and plate points as stored")


# --- stability ------------------------------------------------------------------------------


class StabilityResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lot = serializers.CharField(source="lot.number")
    time_months = serializers.DecimalField(max_digits=8, decimal_places=3)
    value = _decimal()
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


class StabilityStudySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField(source="product.code")
    name = serializers.CharField()
    attribute_code = serializers.CharField()
    attribute_name = serializers.CharField()
    unit = serializers.CharField()
    condition = serializers.CharField()
    lower = _decimal(allow_null=True)
    upper = _decimal(allow_null=True)
    lots = serializers.SerializerMethodField(help_text="lot numbers of the batches")
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_lots(self, obj):
        return sorted(lot.number for lot in obj.lots.all())


class StabilityStudyDetailSerializer(StabilityStudySerializer):
    results = serializers.SerializerMethodField()
    shelf_life = serializers.SerializerMethodField()
    shelf_life_problem = serializers.SerializerMethodField()

    @extend_schema_field(StabilityResultSerializer(many=True))
    def get_results(self, obj):
        qs = obj.results.select_related("lot", "recorded_by")
        return StabilityResultSerializer(qs, many=True).data

    def _analysis(self, obj):
        if not hasattr(self, "_shelf_life"):
            self._shelf_life = selectors.stability_shelf_life(obj)
        return self._shelf_life

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_shelf_life(self, obj):
        """ICH Q1E analysis (`evqms stability`'s JSON); null until every batch has 3 time points."""
        return self._analysis(obj)[0]

    @extend_schema_field(OpenApiTypes.STR)
    def get_shelf_life_problem(self, obj):
        return self._analysis(obj)[1]


# --- in-vivo and dose records ---------------------------------------------------------------


class BiodistributionStudySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField(source="product.code")
    title = serializers.CharField()
    species = serializers.CharField()
    route = serializers.CharField()
    label_method = serializers.CharField()
    second_method = serializers.CharField()
    target = serializers.CharField()
    time_points = serializers.CharField()
    fraction_in_target_pct = serializers.DecimalField(max_digits=8, decimal_places=3)
    threshold_pct = serializers.DecimalField(max_digits=8, decimal_places=3)
    meets_threshold = serializers.BooleanField()
    summary = serializers.CharField()
    created_at = serializers.DateTimeField()


class DoseResponseStudySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.CharField(source="product.code")
    title = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    dose_low = serializers.DecimalField(max_digits=30, decimal_places=6)
    dose_high = serializers.DecimalField(max_digits=30, decimal_places=6)
    effective_low = serializers.DecimalField(max_digits=30, decimal_places=6, allow_null=True)
    effective_high = serializers.DecimalField(max_digits=30, decimal_places=6, allow_null=True)
    safe_high = serializers.DecimalField(max_digits=30, decimal_places=6, allow_null=True)
    summary = serializers.CharField()
    created_at = serializers.DateTimeField()
