"""ryoiki-ld: the MHLW FY2019 survey of regional health information networks as Linked Open Data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ryoiki-ld")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.0.0"
