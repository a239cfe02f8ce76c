"""Tests for vmag.io: round trips, frame rates, ranges, atomic writes and bad input."""

from __future__ import annotations

import dataclasses
import gc
import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vmag.errors import VmagError
from vmag.io import VideoWriter, iter_frames, probe, read_video, write_video
from vmag.io import video as video_module

T, H, W = 12, 48, 64


def smooth_clip(frames: int = T, height: int = H, width: int = W) -> np.ndarray:
    """A slowly drifting colour gradient in [0, 1]: easy for H.264, like real footage."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    t = np.arange(frames, dtype=np.float32)[:, None, None]
    r = 0.5 + 0.3 * np.sin((x + 2 * t) / 9)
    g = 0.5 + 0.3 * np.cos((y - t) / 7)
    b = 0.2 + 0.6 * (x + y) / (width + height) + 0 * t
    return np.stack([r, g, b], axis=-1)


def numbered_clip(frames: int = T) -> np.ndarray:
    """uint8 frames whose every pixel equals 10 x the frame index."""
    values = (10 * np.arange(frames)).astype(np.uint8)
    return np.broadcast_to(values[:, None, None, None], (frames, H, W, 3)).copy()


def to_uint8(video: np.ndarray) -> np.ndarray:
    return np.round(video * 255).astype(np.uint8)


def remux(src: Path, dst: Path, *, shift: int = 0, options: dict[str, str] | None = None) -> None:
    """Copy the packets of ``src`` into ``dst`` unchanged, timestamps moved back ``shift`` frames.

    A shift makes the MP4 muxer write an edit list that hides the first frames.
    """
    with av.open(str(src)) as inp, av.open(str(dst), "w", options=options or {}) as out:
        source = inp.streams.video[0]
        target = out.add_stream_from_template(source)
        for packet in inp.demux(source):
            if packet.size == 0:
                continue
            packet.pts -= shift * packet.duration
            packet.dts -= shift * packet.duration
            packet.stream = target
            out.mux(packet)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def mp4(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.mp4", smooth_clip(), fps=30)


@pytest.fixture
def mkv(tmp_path: Path) -> Path:
    return write_video(tmp_path / "numbered.mkv", numbered_clip(), fps=30)


# Round trips ---------------------------------------------------------------------------------


def test_mkv_round_trip_is_exact(tmp_path: Path) -> None:
    frames = np.random.default_rng(0).integers(0, 256, (T, H, W, 3), dtype=np.uint8)
    path = write_video(tmp_path / "noise.mkv", frames, fps=30)
    video, info = read_video(path)
    assert video.dtype == np.float32 and video.shape == (T, H, W, 3)
    assert 0 <= video.min() and video.max() <= 1
    np.testing.assert_array_equal(to_uint8(video), frames)
    assert (info.codec, info.width, info.height, info.frames) == ("ffv1", W, H, T)


def test_float_frames_are_clipped_and_rounded(tmp_path: Path) -> None:
    levels = np.array([-0.5, 0.0, 0.3 / 255, 0.6 / 255, 0.5, 1.0, 7.0])
    frame = np.broadcast_to(levels[None, :, None], (H, levels.size, 3))
    video, _ = read_video(write_video(tmp_path / "levels.mkv", [frame], fps=30))
    assert to_uint8(video)[0, 0, :, 0].tolist() == [0, 0, 0, 1, 128, 255, 255]


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_h264_round_trip_is_close(tmp_path: Path, suffix: str) -> None:
    frames = smooth_clip()
    video, info = read_video(write_video(tmp_path / f"clip{suffix}", frames, fps=30))
    assert video.shape == frames.shape
    assert np.abs(video - frames).mean() < 0.03
    assert (info.codec, info.pix_fmt, info.frames) == ("h264", "yuv420p", T)


def test_h264_colours_decode_with_the_matrix_they_were_encoded_with(tmp_path: Path) -> None:
    # Flat saturated colours: no chroma subsampling loss, so any matrix mismatch shows.
    colours = np.array([[0.9, 0.2, 0.1], [0.1, 0.8, 0.3], [0.2, 0.3, 0.95], [0.5, 0.5, 0.5]])
    frames = np.broadcast_to(colours[:, None, None, :], (4, H, W, 3))
    video, _ = read_video(write_video(tmp_path / "flat.mp4", frames, fps=30))
    assert np.abs(video - frames).max() < 3 / 255


def test_crf_trades_size_for_quality(tmp_path: Path) -> None:
    frames = smooth_clip()
    fine = write_video(tmp_path / "fine.mp4", frames, fps=30, crf=5)
    coarse = write_video(tmp_path / "coarse.mp4", frames, fps=30, crf=45)
    assert fine.stat().st_size > coarse.stat().st_size
    error = {p.stem: np.abs(read_video(p)[0] - frames).mean() for p in (fine, coarse)}
    assert error["fine"] < error["coarse"]


def test_odd_size_mp4_reads_back_padded_to_even(tmp_path: Path) -> None:
    frames = smooth_clip(frames=6, height=21, width=33)
    video, info = read_video(write_video(tmp_path / "odd.mp4", frames, fps=30))
    assert (info.width, info.height) == (34, 22)
    assert video.shape == (6, 22, 34, 3)
    assert np.abs(video[:, :21, :33] - frames).mean() < 0.03
    # The padding repeats the last row and column.
    assert np.abs(video[:, 21] - video[:, 20]).mean() < 0.03
    assert np.abs(video[:, :, 33] - video[:, :, 32]).mean() < 0.03


def test_odd_size_mkv_keeps_size(tmp_path: Path) -> None:
    frames = np.random.default_rng(1).integers(0, 256, (4, 21, 33, 3), dtype=np.uint8)
    video, _ = read_video(write_video(tmp_path / "odd.mkv", frames, fps=30))
    np.testing.assert_array_equal(to_uint8(video), frames)


# Frame rates and counts ----------------------------------------------------------------------


def test_probe_fps_override(mp4: Path) -> None:
    info = probe(mp4, fps=600)
    assert info.fps == 600 and info.container_fps == 30
    assert info.frames == T and info.duration == pytest.approx(T / 600)
    assert probe(mp4).duration == pytest.approx(T / 30)
    _, read_info = read_video(mp4, fps=600)
    assert read_info.fps == 600


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
@pytest.mark.parametrize(
    ("fps", "stored"),
    [
        (30000 / 1001, Fraction(30000, 1001)),
        (Fraction(30000, 1001), Fraction(30000, 1001)),
        (29.97, Fraction(2997, 100)),
        (600, Fraction(600)),
        (12.5, Fraction(25, 2)),
    ],
)
def test_frame_rate_is_kept_exactly(tmp_path: Path, suffix: str, fps: float, stored: Fraction):
    path = write_video(tmp_path / f"rate{suffix}", numbered_clip(4), fps=fps)
    with av.open(str(path)) as container:
        assert container.streams.video[0].guessed_rate == stored
    assert probe(path).container_fps == float(stored)


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv"])  # header count and packet count
def test_frame_count(tmp_path: Path, suffix: str) -> None:
    path = write_video(tmp_path / f"count{suffix}", numbered_clip(17), fps=24)
    assert probe(path).frames == 17
    assert len(list(iter_frames(path))) == 17


def test_edit_list_is_not_mistaken_for_truncation(tmp_path: Path) -> None:
    # The header counts all 12 samples; the edit list shows only the last 8.
    src = write_video(tmp_path / "src.mp4", smooth_clip(), fps=25)
    cut = tmp_path / "cut.mp4"
    remux(src, cut, shift=4)
    assert probe(cut).frames == 8
    assert len(list(iter_frames(cut))) == 8
    assert read_video(cut)[0].shape[0] == 8


# Frame ranges --------------------------------------------------------------------------------


def frame_numbers(frames) -> list[int]:
    return [round(f[0, 0, 0] * 255) // 10 for f in frames]


def test_iter_frames_range(mkv: Path) -> None:
    frames = list(iter_frames(mkv, start=3, stop=7))
    assert frame_numbers(frames) == [3, 4, 5, 6]
    assert all(f.shape == (H, W, 3) and f.dtype == np.float32 for f in frames)
    assert frame_numbers(iter_frames(mkv, start=9)) == [9, 10, 11]
    assert frame_numbers(iter_frames(mkv, stop=2)) == [0, 1]
    assert frame_numbers(iter_frames(mkv, start=10, stop=100)) == [10, 11]


def test_iter_frames_yields_independent_arrays(mkv: Path) -> None:
    first, second = list(iter_frames(mkv, stop=2))
    assert first is not second and not np.shares_memory(first, second)
    assert frame_numbers([first, second]) == [0, 1]


def test_read_video_range(mkv: Path) -> None:
    video, info = read_video(mkv, start=2, stop=5)
    assert frame_numbers(video) == [2, 3, 4]
    assert info.frames == T
    assert frame_numbers(read_video(mkv, start=10, stop=50)[0]) == [10, 11]


def test_read_video_never_returns_unfilled_frames(
    mkv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Should a file yield fewer frames than probed, the preallocated rest must not leak out.
    listed = dataclasses.replace(probe(mkv), frames=T + 3)
    monkeypatch.setattr(video_module, "probe", lambda path, fps=None: listed)
    with pytest.raises(VmagError, match=f"truncated or corrupt: decoded {T} of the {T + 3} frames"):
        read_video(mkv)


@pytest.mark.parametrize(
    ("start", "stop", "name"),
    [(-1, None, "start"), (1.5, None, "start"), (4, 4, "stop"), (4, 2, "stop"), (0, 2.0, "stop")],
)
def test_bad_range(mkv: Path, start, stop, name: str) -> None:
    for read in (read_video, iter_frames):
        with pytest.raises(VmagError, match=f"^{name} must be"):
            read(mkv, start=start, stop=stop)


def test_start_past_end(mkv: Path) -> None:
    with pytest.raises(VmagError, match="start=12 is past the end"):
        read_video(mkv, start=12)
    with pytest.raises(VmagError, match="start=50 is past the end"):
        list(iter_frames(mkv, start=50))


# Atomic writes and protection ----------------------------------------------------------------


def test_successful_write_leaves_only_the_target(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "out.mp4", fps=30) as writer:
        writer.write_many(smooth_clip(5))
        assert [n for n in listing(tmp_path) if n.startswith(".")]  # the temporary exists
        assert not (tmp_path / "out.mp4").exists()
    assert writer.frames_written == 5
    assert listing(tmp_path) == ["out.mp4"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_in_with_leaves_nothing(tmp_path: Path, error: type[BaseException]) -> None:
    with pytest.raises(error), VideoWriter(tmp_path / "out.mp4", fps=30) as writer:
        writer.write_many(smooth_clip(5))
        raise error
    assert listing(tmp_path) == []


def test_interrupted_write_keeps_existing_target(tmp_path: Path) -> None:
    target = write_video(tmp_path / "out.mkv", numbered_clip(3), fps=30)
    before = target.read_bytes()
    with pytest.raises(KeyboardInterrupt), VideoWriter(target, fps=30) as writer:
        writer.write_many(smooth_clip(5))
        raise KeyboardInterrupt
    assert target.read_bytes() == before
    assert listing(tmp_path) == ["out.mkv"]


def test_unclosed_writer_is_cleaned_up_when_collected(tmp_path: Path) -> None:
    writer = VideoWriter(tmp_path / "out.mp4", fps=30)
    writer.write(smooth_clip(1)[0])
    assert len(listing(tmp_path)) == 1
    del writer
    gc.collect()
    assert listing(tmp_path) == []


def test_failed_frame_inside_with_keeps_existing_target(tmp_path: Path) -> None:
    target = write_video(tmp_path / "out.mp4", smooth_clip(3), fps=30)
    before = target.read_bytes()
    with pytest.raises(VmagError, match="all frames must have one size"):
        write_video(target, [np.zeros((H, W, 3)), np.zeros((H + 2, W, 3))], fps=30)
    assert target.read_bytes() == before
    assert listing(tmp_path) == ["out.mp4"]


def test_closed_writer_refuses_frames(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "out.mkv", fps=30) as writer:
        writer.write(numbered_clip(1)[0])
    writer.close()  # closing twice is harmless
    with pytest.raises(VmagError, match="closed"):
        writer.write(numbered_clip(1)[0])


def test_no_frames_creates_no_file(tmp_path: Path) -> None:
    with pytest.raises(VmagError, match="no frames were written"):
        write_video(tmp_path / "empty.mp4", [], fps=30)
    assert listing(tmp_path) == []


def test_creates_missing_parent_folders(tmp_path: Path) -> None:
    path = write_video(tmp_path / "out" / "dir" / "x.mp4", smooth_clip(3), fps=30)
    assert probe(path).frames == 3


def test_protect_refuses_to_overwrite_input(
    tmp_path: Path, mp4: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = mp4.read_bytes()
    os.link(mp4, tmp_path / "hardlink.mp4")
    monkeypatch.chdir(tmp_path)
    spellings = [mp4, "clip.mp4", tmp_path / "sub" / ".." / "clip.mp4", "hardlink.mp4"]
    for target in spellings:
        with pytest.raises(VmagError, match="refusing to overwrite the input"):
            VideoWriter(target, fps=30, protect=[mp4])
    with pytest.raises(VmagError, match="refusing to overwrite the input"):
        write_video(mp4, smooth_clip(3), fps=30, protect=str(mp4))  # one path, not a list
    assert mp4.read_bytes() == before
    assert listing(tmp_path) == ["clip.mp4", "hardlink.mp4"]
    write_video("other.mp4", smooth_clip(3), fps=30, protect=[mp4])  # another file is fine


@pytest.mark.videos
def test_real_clips(videos: Path) -> None:
    # Frame counts and rates as listed in shared/videos/README.md.
    expected = {"guitar.mp4": (300, 30000 / 1001), "cat_toy.mp4": (601, 29.97),
                "eye_raw.mp4": (365, 29), "drill.avi": (77, 30)}  # fmt: skip
    for name, (frames, fps) in expected.items():
        info = probe(videos / name)
        assert (info.frames, info.container_fps) == (frames, pytest.approx(fps)), name
    guitar = probe(videos / "guitar.mp4", fps=600)
    assert (guitar.fps, guitar.duration) == (600, 0.5)
    assert (guitar.width, guitar.height) == (432, 192)
    first = next(iter_frames(videos / "guitar.mp4"))
    assert first.shape == (192, 432, 3) and 0.05 < first.mean() < 0.95


# Bad input -----------------------------------------------------------------------------------


def every_reader(path: Path) -> list:
    """Run probe, read_video and iter_frames, each expected to raise."""
    messages = []
    for read in (probe, read_video, lambda p: list(iter_frames(p))):
        with pytest.raises(VmagError) as caught:
            read(path)
        messages.append(str(caught.value))
    return messages


def test_missing_file(tmp_path: Path) -> None:
    for message in every_reader(tmp_path / "nope.mp4"):
        assert message == f"video file not found: {tmp_path / 'nope.mp4'}"


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "folder.mp4").mkdir()
    for message in every_reader(tmp_path / "folder.mp4"):
        assert "is a directory" in message


def test_text_file_renamed_mp4(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video\n" * 20)
    for message in every_reader(path):
        assert message.startswith(f"cannot read {path} as a video")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    for message in every_reader(path):
        assert message == f"{path} is empty (0 bytes), not a video"


def truncate(path: Path) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_mp4(mp4: Path) -> None:
    # The index (moov) comes last, so half a file does not even open.
    for message in every_reader(truncate(mp4)):
        assert str(mp4) in message and "truncated" in message


def test_truncated_mp4_with_index_first(tmp_path: Path, mp4: Path) -> None:
    # With the index first the header promises all frames; decoding must notice the rest is gone.
    faststart = tmp_path / "faststart.mp4"
    remux(mp4, faststart, options={"movflags": "faststart"})
    assert probe(truncate(faststart)).frames == T
    for read in (read_video, lambda p: list(iter_frames(p))):
        with pytest.raises(VmagError, match="truncated"):
            read(faststart)


def test_truncated_mkv(mkv: Path) -> None:
    # Matroska has no frame count; the declared duration gives the cut away.
    for message in every_reader(truncate(mkv)):
        assert "truncated" in message


def test_audio_only_file(tmp_path: Path) -> None:
    path = tmp_path / "tone.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 800), np.int16), format="s16", layout="mono"
        )
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    for message in every_reader(path):
        assert message == f"{path} has no video stream"


@pytest.mark.parametrize("crf", [-1, 52, 18.5, True, "18"])
def test_bad_crf(tmp_path: Path, crf) -> None:
    with pytest.raises(VmagError, match="crf must be an integer from 0"):
        VideoWriter(tmp_path / "x.mp4", fps=30, crf=crf)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("fps", [0, -30, float("nan"), float("inf"), "fast", None])
def test_bad_fps(tmp_path: Path, mp4: Path, fps) -> None:
    with pytest.raises(VmagError, match="fps must be"):
        VideoWriter(tmp_path / "x.mkv", fps=fps)
    if fps is not None:
        with pytest.raises(VmagError, match="fps must be"):
            probe(mp4, fps=fps)


def test_bad_preset(tmp_path: Path) -> None:
    with pytest.raises(VmagError, match=r"preset must be one of .*veryfast"):
        VideoWriter(tmp_path / "x.mp4", fps=30, preset="warp")


@pytest.mark.parametrize("name", ["x.avi", "x.gif", "x"])
def test_unsupported_suffix(tmp_path: Path, name: str) -> None:
    with pytest.raises(VmagError, match=r"unsupported suffix.*\.mp4.*\.mov.*\.mkv"):
        VideoWriter(tmp_path / name, fps=30)
    assert listing(tmp_path) == []


def test_target_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "out.mp4").mkdir()
    with pytest.raises(VmagError, match="is a directory"):
        VideoWriter(tmp_path / "out.mp4", fps=30)


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (np.zeros((H, W)), r"\(H, W, 3\)"),
        (np.zeros((H, W, 4)), r"\(H, W, 3\)"),
        (np.zeros((H, W, 3), np.int32), "dtype int32"),
        (np.zeros((0, W, 3)), "at least 1x1"),
    ],
)
def test_bad_frames(tmp_path: Path, frame: np.ndarray, match: str) -> None:
    with pytest.raises(VmagError, match=match):
        write_video(tmp_path / "x.mp4", [frame], fps=30)
    assert listing(tmp_path) == []
