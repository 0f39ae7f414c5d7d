"""QC analytics: pure Python (numpy/scipy only), no Django imports."""
