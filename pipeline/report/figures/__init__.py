"""Figures: matplotlib functions shared by the notebooks, the stats pack and the site; the
maps themselves are drawn by `pipeline.report.maps`."""
