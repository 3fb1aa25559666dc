"""The package version (pyproject.toml says the same); here so that any module may read it."""
__version__ = "0.1.0"
