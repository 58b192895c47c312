"""`ArtifactStore`: model artifacts and dataset snapshots as `.npz` + JSON with a sha256, on files."""
