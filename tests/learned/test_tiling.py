"""Tiled inference: the tile plan covers the frame with the promised overlaps, the weights sum
to 1, a local function gives exactly the untiled result, and a function with a receptive
field larger than the overlap gives a small, seamless difference."""

from __future__ import annotations

import doctest
from itertools import pairwise

import pytest
import torch
import torch.nn.functional as F

from vmag.errors import VmagError
from vmag.learned import tiling
from vmag.learned.tiling import check_tiling, pad_to, plan_tiles, tiled

SIZES = [(70, 93), (64, 64), (33, 200), (17, 9), (100, 257)]


@pytest.mark.parametrize(("height", "width"), SIZES)
@pytest.mark.parametrize(("tile", "overlap", "multiple"), [(32, 8, 1), (32, 8, 4), (48, 20, 8)])
def test_plan_covers_the_frame_with_the_overlap(height, width, tile, overlap, multiple):
    tiles = plan_tiles(height, width, tile, overlap, multiple)
    padded_h = -(-height // multiple) * multiple
    padded_w = -(-width // multiple) * multiple
    total = torch.zeros(padded_h, padded_w)
    for t in tiles:
        assert t.height % multiple == 0 and t.width % multiple == 0
        assert t.top % multiple == 0 and t.left % multiple == 0
        assert t.height <= max(tile, 0) and t.width <= tile
        assert t.top + t.height <= padded_h and t.left + t.width <= padded_w
        assert (t.weight >= 0).all()
        total[t.top : t.top + t.height, t.left : t.left + t.width] += t.weight
    assert torch.allclose(total, torch.ones_like(total), atol=1e-6)
    for starts, size in (
        (sorted({t.top for t in tiles}), tiles[0].height),
        (sorted({t.left for t in tiles}), tiles[0].width),
    ):
        assert starts[0] == 0
        for a, b in pairwise(starts):
            assert a + size - b >= overlap  # neighbours overlap by at least `overlap`


def test_weights_vanish_near_interior_edges():
    """Within overlap/4 of an edge shared with a neighbour a tile has weight 0, so its
    border handling never shows; at the frame's own edges it keeps full weight."""
    tiles = plan_tiles(64, 40, tile=40, overlap=16, multiple=1)  # rows 0-39 and 24-63
    top = next(t for t in tiles if t.top == 0)
    bottom = next(t for t in tiles if t.top > 0)
    assert (top.weight[-4:] == 0).all() and (top.weight[-5] > 0).all()
    assert (bottom.weight[:4] == 0).all() and (bottom.weight[4] > 0).all()
    assert (top.weight[0] > 0.99).all() and (bottom.weight[-1] > 0.99).all()


def test_tiles_shrink_to_cover_with_little_overhead():
    """1080p in 512 px tiles: 3 x 4 tiles of 384 x 504, not of 512 x 512 (12 % more pixels
    than the frame to compute, not 52 %)."""
    tiles = plan_tiles(1080, 1920, tile=512, overlap=32, multiple=4)
    assert len(tiles) == 12 and {(t.height, t.width) for t in tiles} == {(384, 504)}
    assert sum(t.height * t.width for t in tiles) < 1.13 * 1080 * 1920


def test_whole_frame_plan():
    (t,) = plan_tiles(30, 45, tile=0, overlap=0, multiple=8)
    assert (t.top, t.left, t.height, t.width) == (0, 0, 32, 48)
    assert bool((t.weight == 1).all())
    (t,) = plan_tiles(30, 45, tile=64, overlap=8, multiple=8)  # tile larger than the frame
    assert (t.height, t.width) == (32, 48)


def local_fn(radius: int):
    """A fixed random convolution of the given radius with zero padding: a stand-in for a
    network whose output depends on a (2 radius + 1)^2 neighbourhood."""
    gen = torch.Generator().manual_seed(radius)
    weight = torch.randn(2, 3, 2 * radius + 1, 2 * radius + 1, generator=gen)
    return lambda x, y: F.conv2d(x - y, weight, padding=radius)


@pytest.mark.parametrize(("height", "width"), [(70, 93), (45, 130)])
@pytest.mark.parametrize("multiple", [1, 4])
def test_local_function_is_exact(height, width, multiple):
    """Tiles that do not divide the frame, with padding to a multiple: still exact."""
    x, y = torch.rand(2, 3, height, width), torch.rand(2, 3, height, width)
    fn = local_fn(2)  # radius 2 = overlap / 4
    whole = tiled(fn, x, y, tile=0, overlap=0, multiple=multiple)
    if multiple == 1:
        torch.testing.assert_close(whole, fn(x, y), atol=0, rtol=0)
    assert len(plan_tiles(height, width, 32, 8, multiple)) > 4
    for group in (1, 3):  # tiles one by one, or three to a call (stacked on the batch dim)
        out = tiled(fn, x, y, tile=32, overlap=8, multiple=multiple, group=group)
        torch.testing.assert_close(out, whole, atol=1e-5, rtol=0)


def test_receptive_field_beyond_the_overlap_is_not_exact():
    """The exactness above is not vacuous: a radius larger than overlap/4 differs."""
    x, y = torch.rand(1, 3, 70, 93), torch.rand(1, 3, 70, 93)
    fn = local_fn(6)
    diff = tiled(fn, x, y, tile=32, overlap=8) - tiled(fn, x, y, tile=0, overlap=0)
    assert diff.abs().max() > 1e-2


def wide_fn(x: torch.Tensor) -> torch.Tensor:
    """Detail over a Gaussian blur of sigma 6 px (reflect-padded, radius 18 px): a receptive
    field far wider than a quarter of the overlap."""
    sigma, radius = 6.0, 18
    k = torch.exp(-0.5 * (torch.arange(-radius, radius + 1.0) / sigma) ** 2)
    k = (k / k.sum()).to(x)
    c = x.shape[1]
    blur = F.pad(x, (radius,) * 4, mode="reflect")
    blur = F.conv2d(blur, k.reshape(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    blur = F.conv2d(blur, k.reshape(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return x - blur


def largest_jump(err: torch.Tensor) -> float:
    """The largest change of ``err`` between neighbouring pixels: a seam is a jump."""
    return max(err.diff(dim=-1).abs().max().item(), err.diff(dim=-2).abs().max().item())


def test_wide_receptive_field_blends_without_seams():
    torch.manual_seed(0)
    x = F.avg_pool2d(torch.rand(1, 3, 192, 192), 3, stride=1, padding=1)
    exact = wide_fn(x)
    blended = tiled(wide_fn, x, tile=64, overlap=24) - exact
    # the difference is small next to the output...
    assert blended.abs().max() < 5e-3 * exact.abs().max()
    # ...and changes gradually: no jump between neighbouring pixels as large as itself
    assert largest_jump(blended) < 0.5 * blended.abs().max()
    # whereas tiles cut side by side without overlap leave seams, which the metric sees
    cut = tiled(wide_fn, x, tile=64, overlap=0) - exact
    assert largest_jump(cut) > cut.abs().max()
    assert largest_jump(cut) > 100 * largest_jump(blended)


def test_output_channels_and_batch_dims_follow_fn():
    x = torch.rand(2, 5, 3, 40, 50)  # extra leading dim: (..., C, H, W)
    out = tiled(lambda a: a[..., :1, :, :] * 2, x, tile=16, overlap=4, group=4)
    assert out.shape == (2, 5, 1, 40, 50)
    torch.testing.assert_close(out, x[..., :1, :, :] * 2)


def test_pad_to_reflects_and_falls_back_to_repeating():
    x = torch.arange(6.0).reshape(1, 2, 3)
    assert pad_to(x, 3, 5).tolist() == [[[0, 1, 2, 1, 0], [3, 4, 5, 4, 3], [0, 1, 2, 1, 0]]]
    assert pad_to(x, 2, 7)[0, 0].tolist() == [0, 1, 2, 2, 2, 2, 2]  # too narrow to reflect
    assert pad_to(x, 2, 3) is x


@pytest.mark.parametrize(
    ("tile", "overlap", "multiple", "match"),
    [
        (2, 0, 4, "at least 4"),
        (-1, 0, 1, "tile must be an integer"),
        (32.0, 4, 1, "tile must be an integer"),
        (32, 16, 1, "less than half"),
        (32, -1, 1, "overlap must be an integer"),
        (4, 1, 4, "no room"),
    ],
)
def test_bad_tiling_is_refused(tile, overlap, multiple, match):
    with pytest.raises(VmagError, match=match):
        check_tiling(tile, overlap, multiple)


def test_mismatched_images_are_refused():
    with pytest.raises(VmagError, match="share H, W"):
        tiled(lambda a, b: a, torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 9), tile=0, overlap=0)
    with pytest.raises(VmagError, match="group must be"):
        tiled(lambda a: a, torch.zeros(1, 3, 8, 8), tile=0, overlap=0, group=0)


def test_docstring_examples():
    result = doctest.testmod(tiling, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
