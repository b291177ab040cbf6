"""dmpclient — feed and consult the French DMP (Dossier Médical Partagé) from Python."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dmpclient")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["__version__"]
