"""The package version, in the bottom layer so that file headers can name it without importing
the package root."""

__all__ = ["__version__"]

__version__ = "0.1.0"
