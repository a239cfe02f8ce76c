"""The built-in ``vmag bench`` protocols; importing this package registers them, in this order."""

import importlib

_MODULES = ("subpixel", "noise", "circles", "physical", "large_motion")

for _name in _MODULES:
    importlib.import_module(f"vmag.bench.protocols.{_name}")
