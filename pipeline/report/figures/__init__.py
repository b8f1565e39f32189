"""Figures: matplotlib functions the notebooks, the stats pack and the site share (maps are in `pipeline.report.maps`)."""
