"""Readers, one module per data source: formats in, canonical tables and row-level problems out."""
