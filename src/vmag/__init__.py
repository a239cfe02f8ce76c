"""vmag: video magnification toolkit."""

__version__ = "0.1.0"
