"""The model zoo: weights files round-trip exactly, anything else is refused with a VmagError,
and the shipped weights are found in the package (or their absence explained)."""

from __future__ import annotations

import doctest
import os
import pickle
import stat
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from vmag.errors import VmagError
from vmag.learned import zoo
from vmag.learned.net import MotionNet


class TinyNet(MotionNet):
    """A small convolutional MotionNet with a constructor argument, for round trips."""

    arch = "test-tiny"
    multiple = 2

    def __init__(self, *, channels: int = 4) -> None:
        super().__init__()
        self.channels = channels
        self.encode = nn.Conv2d(3, channels, 3, padding=1)
        self.decode = nn.Conv2d(channels, 3, 3, padding=1)

    def architecture_config(self) -> dict[str, int]:
        return {"channels": self.channels}

    def analyse(self, ref, cur):
        return self.encode(ref), self.encode(cur) - self.encode(ref)

    def synthesise(self, context, motion, amp):
        return self.decode(context + torch.as_tensor(amp).reshape(-1, 1, 1, 1) * motion)

    def loss(self, batch):
        total = (self(batch["a"], batch["b"], batch["amp"]) - batch["y"]).abs().mean()
        return {"total": total}


@pytest.fixture
def tiny(monkeypatch):
    """TinyNet registered with the zoo for this test only."""
    zoo.ARCHITECTURES.names()  # the real ones first
    monkeypatch.setitem(zoo.ARCHITECTURES._classes, TinyNet.arch, TinyNet)
    return TinyNet


@pytest.fixture
def shipped(monkeypatch, tmp_path):
    """An empty folder standing in for the package's shipped weights."""
    folder = tmp_path / "shipped"
    folder.mkdir()
    monkeypatch.setattr(zoo, "_weights_dir", lambda: folder)
    return folder


def frames(size: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    ref = torch.rand(2, 3, size, size, generator=gen) * 2 - 1
    cur = ref + 0.05 * torch.randn(2, 3, size, size, generator=gen)
    return ref, cur, torch.tensor([3.0, 20.0])


def test_round_trip_reproduces_outputs(tiny, tmp_path):
    net = TinyNet(channels=5)
    meta = {"iterations": 1200, "data": {"seed": 3}, "scores": [0.5, 0.25], "gpu": None}
    path = tmp_path / "sub" / "tiny.pt"
    zoo.save_weights(net, path, "tiny-5", meta)
    assert [p.name for p in path.parent.iterdir()] == ["tiny.pt"]  # no temporary left
    loaded, loaded_meta = zoo.load_weights(path)
    assert isinstance(loaded, TinyNet) and loaded.channels == 5
    assert loaded_meta == meta and not loaded.training
    with torch.no_grad():
        assert torch.equal(loaded(*frames()), net(*frames()))
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "vmag-weights/1" and raw["name"] == "tiny-5"
    assert raw["arch"] == "test-tiny" and raw["config"] == {"channels": 5}


@pytest.mark.parametrize("name", zoo.list_models())
def test_zoo_models_round_trip(name, tmp_path):
    torch.manual_seed(1)
    net = zoo.build_model(name)
    path = tmp_path / f"{name}.pt"
    zoo.save_weights(net, path, name)
    loaded, meta = zoo.load_weights(path)
    assert meta == {} and type(loaded) is type(net)
    assert loaded.architecture_config() == net.architecture_config()
    net.eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(*frames()), net(*frames()), atol=0, rtol=0)


def test_models_are_named_and_configured():
    assert zoo.list_models() == ["magnet", "lightweight", "lightweight-base"]
    assert zoo.build_model("lightweight").channels == 8
    assert zoo.build_model("lightweight-base").channels == 24
    assert zoo.build_model("lightweight", channels=3).channels == 3
    assert zoo.model_class("magnet").arch == "magnet"
    assert zoo.architecture_class("lightweight") is zoo.model_class("lightweight-base")
    with pytest.raises(VmagError, match="unknown model 'nope'"):
        zoo.build_model("nope")
    with pytest.raises(VmagError, match="unknown architecture"):
        zoo.architecture_class("nope")


def test_missing_shipped_weights_explain_themselves(shipped):
    assert zoo.shipped_weights("magnet") is None
    with pytest.raises(VmagError) as err:
        zoo.create_model("magnet")
    assert str(err.value) == (
        "no trained weights for magnet are shipped yet; pass weights=PATH (from vmag train)"
    )


def test_shipped_weights_are_found_in_the_package(shipped):
    torch.manual_seed(2)
    net = zoo.build_model("lightweight")
    zoo.save_weights(net, shipped / "lightweight.pt", "lightweight", {"iterations": 5})
    assert zoo.shipped_weights("lightweight") == shipped / "lightweight.pt"
    loaded = zoo.create_model("lightweight")
    assert not loaded.training
    for a, b in zip(loaded.state_dict().values(), net.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_create_model_from_a_file(tmp_path):
    net = zoo.build_model("lightweight", channels=6)  # other channels load as saved
    zoo.save_weights(net, tmp_path / "w.pt", "my-run")
    assert zoo.create_model("lightweight", tmp_path / "w.pt").channels == 6
    assert zoo.create_model("lightweight-base", str(tmp_path / "w.pt")).channels == 6
    with pytest.raises(VmagError, match="holds a 'lightweight' network; model magnet needs"):
        zoo.create_model("magnet", tmp_path / "w.pt")
    with pytest.raises(VmagError, match="unknown model"):
        zoo.create_model("bogus", tmp_path / "w.pt")


class Payload:
    """Not a plain type: torch.load(weights_only=True) must refuse to unpickle it."""


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"not a checkpoint at all", "is not a vmag weights file"),
        ({"format": "something-else"}, "format vmag-weights/1 expected, got 'something-else'"),
        ([1, 2, 3], "format vmag-weights/1 expected, got 'list'"),
        ({"format": "vmag-weights/1", "name": "x"}, "damaged .* no arch, config, state_dict"),
        (
            {
                "format": "vmag-weights/1",
                "name": "x",
                "arch": "test-tiny",
                "config": {},
                "state_dict": [],
                "meta": {},
            },
            "bad config or state_dict",
        ),
        (
            {
                "format": "vmag-weights/1",
                "name": "x",
                "arch": "nope",
                "config": {},
                "state_dict": {},
                "meta": {},
            },
            "unknown architecture 'nope'",
        ),
        (
            {
                "format": "vmag-weights/1",
                "name": "x",
                "arch": "test-tiny",
                "config": {},
                "state_dict": {},
                "meta": {},
            },
            "do not fit a test-tiny network",
        ),
        (
            {
                "format": "vmag-weights/1",
                "name": "x",
                "arch": "test-tiny",
                "config": {"width": 3},
                "state_dict": {},
                "meta": {},
            },
            "do not fit a test-tiny network",
        ),
        (Payload(), "is not a vmag weights file"),
    ],
    ids=["garbage", "format", "list", "keys", "state", "arch", "weights", "config", "pickle"],
)
def test_foreign_files_are_refused(tiny, tmp_path, content, match):
    path = tmp_path / "w.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, Payload):
        path.write_bytes(pickle.dumps(content, protocol=2))
    else:
        torch.save(content, path)
    with pytest.raises(VmagError, match=match):
        zoo.load_weights(path)


def test_truncated_file_is_refused(tiny, tmp_path):
    path = tmp_path / "w.pt"
    zoo.save_weights(TinyNet(), path, "tiny")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(VmagError, match="is not a vmag weights file"):
        zoo.load_weights(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(VmagError, match="not found"):
        zoo.load_weights(tmp_path / "none.pt")


def test_meta_must_be_plain(tiny, tmp_path):
    path = tmp_path / "w.pt"
    with pytest.raises(VmagError, match=r"meta\['loss'\] must hold only"):
        zoo.save_weights(TinyNet(), path, "tiny", {"loss": np.float32(0.5)})
    with pytest.raises(VmagError, match="keys must be strings"):
        zoo.save_weights(TinyNet(), path, "tiny", {"runs": {1: "a"}})
    with pytest.raises(VmagError, match="name must be"):
        zoo.save_weights(TinyNet(), path, "", {})
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_old_file(tiny, tmp_path, monkeypatch):
    path = tmp_path / "w.pt"
    zoo.save_weights(TinyNet(), path, "first")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken)
    with pytest.raises(OSError, match="disk full"):
        zoo.save_weights(TinyNet(), path, "second")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["w.pt"]
    assert torch.load(path, weights_only=True)["name"] == "first"


def test_register_architecture_needs_an_arch(tiny):
    class Nameless(TinyNet):
        arch = ""

    with pytest.raises(TypeError, match="arch"):
        zoo.register_architecture(Nameless)
    assert zoo.architecture_class("test-tiny") is TinyNet


def test_shipped_folder_is_package_data():
    """The zoo looks for shipped weights inside the installed package, under weights/."""
    folder = Path(str(zoo._weights_dir()))
    assert folder.name == "weights" and folder.parent.name == "learned"
    assert (folder.parent / "zoo.py").is_file()


def test_docstring_examples():
    result = doctest.testmod(zoo, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_saved_weights_are_readable_by_others_and_meta_rejects_str_subclasses(tmp_path):
    path = tmp_path / "w.pt"
    zoo.save_weights(zoo.build_model("lightweight"), path, "lightweight", {"iterations": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    net = zoo.build_model("lightweight")
    with pytest.raises(VmagError):
        zoo.save_weights(net, path, "lightweight", {"torch": torch.__version__})
    assert zoo.load_weights(path)[1]["iterations"] == 1  # the failed save kept the old file


def test_widen_keeps_the_function_and_lets_training_tell_the_copies_apart():
    from vmag.learned.lightweight import Lightweight

    torch.manual_seed(0)
    small = Lightweight(channels=2).eval()
    big = zoo.widen(small, "lightweight-base", seed=1)
    assert big.channels == 24 and sum(p.numel() for p in big.parameters()) > 50 * sum(
        p.numel() for p in small.parameters()
    )
    x, y = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    amp = torch.tensor([4.0, 20.0])
    torch.testing.assert_close(big(x, y, amp), small(x, y, amp), atol=2e-6, rtol=1e-5)
    # channel c of the narrow stem becomes the copies 12c..12c+11, equal activations
    stem = big.encoder.stem(x)
    torch.testing.assert_close(stem[:, 12:24], small.encoder.stem(x)[:, 1:2].expand(-1, 12, -1, -1))
    # their outgoing weights differ, so their incoming weights get different gradients
    big.train()
    big(x, y, amp).square().mean().backward()
    grad = big.encoder.stem[0].weight.grad
    assert (grad[12] - grad[13]).abs().max() > 1e-4 * grad[12].abs().max()
    # the shares depend on the seed only
    again = zoo.widen(small, "lightweight-base", seed=1)
    other = zoo.widen(small, "lightweight-base", seed=2)
    w = "decoder_high.2.weight"
    assert torch.equal(
        again.state_dict()[w], zoo.widen(small, "lightweight-base", seed=1).state_dict()[w]
    )
    assert not torch.equal(again.state_dict()[w], other.state_dict()[w])


def test_widen_refuses_other_architectures_and_widths_that_do_not_divide():
    from vmag.learned.lightweight import Lightweight

    with pytest.raises(VmagError, match="cannot widen a 'lightweight' network into magnet"):
        zoo.widen(Lightweight(channels=2), "magnet")
    with pytest.raises(VmagError, match="does not divide"):
        zoo.widen(Lightweight(channels=5), "lightweight-base")
    with pytest.raises(VmagError, match="spread"):
        zoo.widen(Lightweight(channels=2), "lightweight-base", spread=1.5)
