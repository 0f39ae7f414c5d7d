"""evqms: quality, safety and oversight for extracellular-vesicle therapies."""

__version__ = "0.1.0"
