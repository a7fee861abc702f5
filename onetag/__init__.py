"""onetag: one image tag for every CPU architecture."""

__version__ = "0.1.0"
