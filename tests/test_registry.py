"""One registry pattern for methods and protocols."""

from __future__ import annotations

import pytest

from vmag.bench.protocol import PROTOCOLS
from vmag.errors import VmagError
from vmag.registry import MAGNIFIERS, Registry


class A:
    name = "a"


class B:
    name = "b"


def test_register_get_and_list_in_provider_order():
    reg: Registry[type] = Registry("widget", ())
    reg.register(B)
    reg.register(A)
    assert reg.names() == ["b", "a"] and reg.get("a") is A and "a" in reg
    with pytest.raises(VmagError, match="unknown widget 'c'; choose from b, a"):
        reg.get("c")


def test_duplicates_and_nameless_classes_are_refused():
    reg: Registry[type] = Registry("widget", ())
    reg.register(A)
    reg.register(A)  # the same class again is harmless (a module imported twice)

    class A2:
        name = "a"

    class Nameless:
        pass

    with pytest.raises(TypeError, match="already registered"):
        reg.register(A2)
    with pytest.raises(TypeError, match="needs a non-empty class attribute"):
        reg.register(Nameless)


def test_the_check_hook_runs_on_registration():
    def no_b(cls):
        if cls.name == "b":
            raise TypeError("no b here")

    reg: Registry[type] = Registry("widget", (), check=no_b)
    reg.register(A)
    with pytest.raises(TypeError, match="no b here"):
        reg.register(B)


def test_methods_and_protocols_share_the_pattern():
    assert MAGNIFIERS.names()[:5] == ["linear", "color", "phase", "riesz", "acceleration"]
    assert PROTOCOLS.names() == ["subpixel", "noise", "circles", "physical", "large-motion"]
    with pytest.raises(VmagError, match="unknown protocol 'x'"):
        PROTOCOLS.get("x")
