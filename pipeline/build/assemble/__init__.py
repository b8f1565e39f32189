"""Assembly: raw readers and the resolver into the warehouse's tables, one module per table
family (palmarès, illectronism)."""
