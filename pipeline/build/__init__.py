"""Build: sources → resolve → assemble → warehouse."""
