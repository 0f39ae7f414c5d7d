"""Deviations worked to closure and CAPA: corrective and preventive actions with owners and due dates,
linked to the deviations (or complaints and audit findings) that called for them, closed by QA only
after an effectiveness check recorded on or after its planned date."""
