"""Read-only analyses over the warehouse, shared by notebooks, reports and the CLI."""
