"""git-model: a Git extension for ML model files (chunked, deduplicated, model-aware)."""

__version__ = "0.1.0"
