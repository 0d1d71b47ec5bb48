"""Phủ Sóng: field surveys and coverage data for communes' digital-transformation plans."""
