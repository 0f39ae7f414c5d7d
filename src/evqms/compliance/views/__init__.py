"""Compliance pages: the compliance page of a product with its report and signing dialogs
(`product`), and the risk register (`risk_register`).

Views parse input and show results; the services check roles again and decide.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from evqms.dossier.models import Product


def product_or_404(code: str) -> Product:
    return get_object_or_404(Product.objects.select_related("responsible_physician"), code=code)
