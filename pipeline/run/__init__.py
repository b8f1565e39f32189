"""Run: pipeline.toml, job state, job planning, notebook execution, the main job."""
