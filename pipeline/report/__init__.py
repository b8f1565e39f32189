"""Report: tables, figures, maps, site, PDF, stats pack, exports."""
