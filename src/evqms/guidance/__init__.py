"""The compliance engine: rule sets as data and named checks. Pure Python, no Django imports."""
