"""The learned magnifier's three modes against their formulas (with networks whose behaviour
is known exactly), streaming against offline, tiled against untiled, the options' checks,
and the registry entries (listed as available only once weights are shipped; other tests
that run every listed method never see them before that)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vmag.errors import VmagError
from vmag.learned import zoo
from vmag.learned.net import MotionNet
from vmag.registry import MAGNIFIERS, create_magnifier, list_magnifiers, method_options

FPS = 30.0
NAMES = ("magnet", "lightweight", "lightweight-base")


@pytest.fixture
def learned():
    """The module; the registry loads it (the methods are always registered)."""
    import vmag.learned.magnifier as module

    list_magnifiers(unavailable=True)
    yield module


@pytest.fixture
def no_shipped(monkeypatch, tmp_path):
    """No shipped weights, whatever the package holds."""
    monkeypatch.setattr(zoo, "_weights_dir", lambda: tmp_path / "none")


def amp_of(amp: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(amp).reshape(-1, 1, 1, 1)


class PixelNet(MotionNet):
    """Motion = cur - ref in pixel space; synthesise = ref + amp x motion: linear
    magnification of intensity, so every mode's output has a closed form."""

    arch = "test-pixel"
    multiple = 4

    def analyse(self, ref, cur):
        return ref, cur - ref

    def synthesise(self, context, motion, amp):
        return context + amp_of(amp) * motion

    def loss(self, batch):
        return {"total": (self(batch["a"], batch["b"], batch["amp"]) - batch["y"]).abs().mean()}


class ConvNet(PixelNet):
    """Like PixelNet on fixed 3x3 convolutions of the frames (receptive field radius 2,
    zero-padded): a local network, so tiles with overlap >= 8 give the untiled result."""

    arch = "test-conv"

    def __init__(self) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(5)
        self.enc = torch.nn.Parameter(torch.randn(3, 3, 3, 3, generator=gen) / 9)
        self.dec = torch.nn.Parameter(torch.randn(3, 3, 3, 3, generator=gen) / 9)

    def analyse(self, ref, cur):
        return ref, F.conv2d(cur - ref, self.enc, padding=1)

    def synthesise(self, context, motion, amp):
        return context + F.conv2d(amp_of(amp) * motion, self.dec, padding=1) + 0.1 * motion


def sines(freqs, frames=60, height=20, width=28, seed=0):
    """0.5 + sum_k sin(2 pi f_k t) pattern_k, and the (T, H, W, 3) term of each frequency."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames) / FPS
    terms = [
        np.sin(2 * np.pi * f * t)[:, None, None, None]
        * (0.02 * rng.standard_normal((height, width, 3)))
        for f in freqs
    ]
    return (0.5 + sum(terms)).astype(np.float32), terms


def make(learned, net, **options):
    return learned.MagnetMagnifier(net=net, **options)


def run_stream(m, frames):
    return np.stack(list(m.stream(iter(frames), FPS)))


def test_static_mode_formula(learned):
    clip, _ = sines([2.0, 7.0], frames=20)
    out = make(learned, PixelNet(), alpha=4, tile=16, overlap=4).magnify(clip, FPS)
    expected = np.clip(clip[0] + 5 * (clip - clip[0]), 0, 1)
    np.testing.assert_allclose(out, expected, atol=2e-6)
    assert out.dtype == np.float32


def test_dynamic_mode_formula(learned):
    clip, _ = sines([2.0, 7.0], frames=20)
    out = make(learned, PixelNet(), alpha=4, mode="dynamic", tile=16, overlap=4).magnify(clip, FPS)
    expected = np.clip(clip[:-1] + 5 * (clip[1:] - clip[:-1]), 0, 1)
    np.testing.assert_array_equal(out[0], clip[0])
    np.testing.assert_allclose(out[1:], expected, atol=2e-6)


@pytest.mark.parametrize("tile", [0, 16])
def test_temporal_mode_magnifies_only_the_band(learned, tile):
    """Ideal band-pass over whole periods: the in-band change is amp times larger, the
    out-of-band change passes unchanged."""
    clip, (inside, outside) = sines([2.0, 7.0], frames=60)
    m = make(learned, PixelNet(), alpha=4, mode="temporal", band=(1.0, 4.0), filter="ideal")
    m.tile, m.overlap = tile, 4
    out = m.magnify(clip, FPS)
    np.testing.assert_allclose(out, 0.5 + 5 * inside + outside, atol=2e-5)


def test_temporal_mode_on_a_nonlinear_network(learned):
    """What temporal mode feeds synthesise: amp = 1 or all motion in band reduce to the two
    frames' forward pass; a still clip gives static mode's result for every zoo network."""
    motion, filtered = torch.tensor([0.3, -2.0]), torch.tensor([0.1, 0.5])
    assert torch.equal(learned.temporal_motion(motion, filtered, 1.0), motion)
    torch.testing.assert_close(learned.temporal_motion(motion, motion, 7.0), motion)
    assert torch.equal(learned.temporal_motion(motion, 0 * motion, 4.0), motion / 4)
    still = np.repeat(sines([2.0], frames=1, height=16, width=24)[0], 12, axis=0)
    for name in NAMES:
        net = zoo.build_model(name, channels=4)
        temporal = make(learned, net, mode="temporal", band=(1.0, 4.0)).magnify(still, FPS)
        static = make(learned, net).magnify(still, FPS)
        np.testing.assert_allclose(temporal, static, atol=1e-6)


def test_temporal_mode_with_the_static_filter_is_static_mode(learned):
    """filter=static passes every change since the first frame: temporal mode then
    magnifies all of it, as static mode does, for every zoo network."""
    clip, _ = sines([2.0, 7.0], frames=10, height=16, width=24)
    for name in NAMES:
        net = zoo.build_model(name, channels=4)
        temporal = make(learned, net, alpha=9, mode="temporal", filter="static").magnify(clip, FPS)
        static = make(learned, net, alpha=9).magnify(clip, FPS)
        np.testing.assert_allclose(temporal, static, atol=1e-5)


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_two_frame_modes_stream_exactly(learned, mode):
    clip, _ = sines([2.0, 7.0], frames=21)
    m = make(learned, ConvNet(), alpha=9, mode=mode, tile=20, overlap=8)
    np.testing.assert_allclose(run_stream(m, clip), m.magnify(clip, FPS), atol=1e-6)
    assert list(m.stream(iter([]), FPS)) == []


@pytest.mark.parametrize("filt", ["iir", "accel"])
def test_temporal_stream_equals_offline_for_causal_filters(learned, filt):
    """IIR is causal offline too; the acceleration filter streams with a delay that stream
    absorbs: both give offline's frames."""
    clip, _ = sines([2.0, 5.0], frames=40)
    m = make(learned, ConvNet(), alpha=9, mode="temporal", band=(1.0, 4.0), filter=filt)
    m.tile, m.overlap = 20, 8
    streamed = run_stream(m, clip)
    assert streamed.shape == clip.shape
    np.testing.assert_allclose(streamed, m.magnify(clip, FPS), atol=2e-5)


def test_temporal_stream_matches_offline_after_settling(learned):
    """At the band centre a Butterworth band-pass has gain 1 and phase 0, causal or not."""
    lo, hi = 1.5, 6.0
    clip, _ = sines([np.sqrt(lo * hi)], frames=120)
    m = make(learned, PixelNet(), alpha=9, mode="temporal", band=(lo, hi), tile=16, overlap=4)
    streamed, offline = run_stream(m, clip), m.magnify(clip, FPS)
    scale = np.abs(offline - clip).max()
    assert scale > 0.05
    assert np.abs(streamed[60:110] - offline[60:110]).max() < 0.15 * scale
    assert np.abs(streamed[:5] - offline[:5]).max() > 0.15 * scale  # before it settles


@pytest.mark.parametrize("mode", ["static", "dynamic", "temporal"])
def test_tiled_equals_untiled(learned, mode):
    clip, _ = sines([2.0, 7.0], frames=30, height=42, width=53)  # not multiples of 4 or 16
    m = make(learned, ConvNet(), alpha=9, mode=mode, band=(1.0, 4.0), tile=20, overlap=8)
    tiled = m.magnify(clip, FPS)
    m.tile = 0
    whole = m.magnify(clip, FPS)
    assert np.abs(whole - clip).max() > 0.05
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_progress_is_reported(learned):
    clip, _ = sines([2.0], frames=12)
    calls = []
    m = make(learned, PixelNet(), mode="temporal", band=(1.0, 4.0), tile=16, overlap=4)
    m.magnify(clip, FPS, progress=lambda *a: calls.append(a))
    tiles = len(m._tiles(*clip.shape[1:3]))
    assert tiles > 1
    assert calls[-1] == ("synthesise", 12 * tiles, 12 * tiles)
    assert ("analyse", 12 * tiles, 12 * tiles) in calls
    calls.clear()
    make(learned, PixelNet()).magnify(clip, FPS, progress=lambda *a: calls.append(a))
    assert calls[-1] == ("magnify", 12, 12)


def test_uint8_frames_are_accepted(learned):
    clip = (sines([2.0], frames=6)[0] * 255).astype(np.uint8)
    out = make(learned, PixelNet()).magnify(clip, FPS)
    assert out.dtype == np.float32 and out.shape == clip.shape
    np.testing.assert_allclose(out[0], clip[0] / 255.0, atol=1e-6)


class WideNet(PixelNet):
    """PixelNet whose motion has 9 channels: its series over a clip is 3x the clip's size."""

    def analyse(self, ref, cur):
        return ref, (cur - ref).repeat(1, 3, 1, 1)

    def synthesise(self, context, motion, amp):
        return super().synthesise(context, motion[:, :3], amp)


def test_temporal_memory_limit(learned, monkeypatch):
    """Offline temporal mode refuses to hold motion features larger than both the limit and
    the clip, and says which tile would fit (or to stream)."""
    monkeypatch.setattr(learned, "TEMPORAL_BYTES", 1000)
    clip, _ = sines([2.0], frames=12, height=32, width=32)
    m = make(learned, WideNet(), mode="temporal", band=(1.0, 4.0), tile=0, overlap=4)
    # 3x the clip on a 32x32 tile: a 32 / sqrt(3) = 18 -> 16 px tile fits
    with pytest.raises(VmagError, match=r"motion features .* tile=16 or less, or stream"):
        m.magnify(clip, FPS)
    m.tile = 16
    assert m.magnify(clip, FPS).shape == clip.shape
    m.tile, m.overlap = 0, 8  # a 16 px tile cannot overlap by 8: only streaming is left
    with pytest.raises(VmagError, match="stream the clip"):
        m.magnify(clip, FPS)
    assert run_stream(m, clip).shape == clip.shape
    monkeypatch.setattr(learned, "TEMPORAL_BYTES", 2**30)
    assert m.magnify(clip, FPS).shape == clip.shape


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"mode": "bogus"}, "mode must be one of static, dynamic, temporal"),
        ({"filter": "fir"}, "filter must be one of"),
        ({"order": 0}, "order must be an integer"),
        ({"device": "tpu"}, "device must be one of"),
        ({"tile": 2}, "at least 4"),
        ({"tile": 6, "overlap": 0}, "at least 8 px for this network"),
        ({"tile": 32, "overlap": 16}, "less than half"),
        ({"tile": 32, "overlap": -1}, "overlap must be"),
        ({"alpha": 0}, "alpha must be a number > 0"),
        ({"weights": "w.pt"}, "either weights"),
    ],
)
def test_bad_options_are_refused(learned, options, match):
    with pytest.raises(VmagError, match=match):
        make(learned, PixelNet(), **options)


def test_bad_runs_are_refused(learned):
    clip, _ = sines([2.0], frames=10)
    m = make(learned, PixelNet(), mode="temporal", band=(1.0, 4.0), filter="ideal")
    with pytest.raises(VmagError, match="whole clip"):
        next(m.stream(iter(clip), FPS))
    with pytest.raises(VmagError, match="needs at least"):
        m.magnify(clip[:5], FPS)
    with pytest.raises(VmagError, match="Nyquist"):
        m.magnify(clip, 6.0)
    with pytest.raises(VmagError, match="fps"):
        make(learned, PixelNet()).magnify(clip, 0)
    with pytest.raises(VmagError, match=r"shape \(T, H, W, 3\)"):
        make(learned, PixelNet()).magnify(clip[..., 0], FPS)


def test_registered_methods(learned, no_shipped, tmp_path):
    options = [o.name for o in method_options("magnet")]
    assert options == [
        "alpha",
        *("mode", "band", "filter", "order", "weights", "tile", "overlap", "device"),
    ]
    for name in NAMES:
        assert MAGNIFIERS.get(name).model == name
        with pytest.raises(VmagError, match=f"no trained weights for {name} are shipped yet"):
            create_magnifier(name)
    with pytest.raises(VmagError, match="takes no option net"):
        create_magnifier("magnet", net=PixelNet())
    path = tmp_path / "lw.pt"
    zoo.save_weights(zoo.build_model("lightweight"), path, "lightweight", {"iterations": 0})
    m = create_magnifier("lightweight-base", weights=str(path), alpha=5, tile=0, device="cpu")
    assert m.net.channels == 8 and not m.net.training
    clip, _ = sines([2.0], frames=3, height=16, width=22)
    assert m.magnify(clip, FPS).shape == clip.shape


def test_without_shipped_weights_methods_are_registered_but_not_listed(learned, no_shipped):
    assert set(NAMES) <= set(MAGNIFIERS.names())
    assert not set(NAMES) & set(list_magnifiers())
    assert list_magnifiers(unavailable=True)[-3:] == list(NAMES)
    assert "no trained weights" in MAGNIFIERS.get("lightweight").unavailable()


def test_shipped_weights_make_a_method_available(learned, monkeypatch, tmp_path):
    monkeypatch.setattr(zoo, "_weights_dir", lambda: tmp_path)
    zoo.save_weights(zoo.build_model("lightweight"), tmp_path / "lightweight.pt", "lightweight")
    assert "lightweight" in list_magnifiers() and "magnet" not in list_magnifiers()


def test_docstring_examples(learned):
    result = doctest.testmod(learned, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
