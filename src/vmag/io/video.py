"""Read and write video files through PyAV (FFmpeg).

Frames are ``(H, W, 3)`` float32 RGB arrays in ``[0, 1]``, the working format of
the rest of vmag. Every problem with the user's file or parameters is raised as a
:class:`~vmag.errors.VmagError` with a one-line message; FFmpeg's own errors never
escape. Writing is atomic: a target file only ever holds a complete video.
"""

from __future__ import annotations

import contextlib
import math
import os
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace

from vmag.errors import VmagError, check_choice, check_positive
from vmag.io.atomic import AtomicFile

PathLike = str | os.PathLike[str]

#: Output suffix -> (FFmpeg container, encoder, pixel format).
FORMATS: dict[str, tuple[str, str, str]] = {
    ".mp4": ("mp4", "libx264", "yuv420p"),
    ".mov": ("mov", "libx264", "yuv420p"),
    ".mkv": ("matroska", "ffv1", "bgr0"),  # bgr0 holds 8-bit RGB losslessly
}
X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)  # fmt: skip

_TO_UNIT = np.float32(1 / 255)


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns about a video without decoding it.

    ``container_fps`` is the rate the file states; ``fps`` is the rate to use,
    which differs when the caller overrides it (a high-speed clip stored at
    29.97 fps but filmed at 600 fps). ``duration = frames / fps`` in seconds.
    """

    path: Path
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    codec: str
    pix_fmt: str
    container_fps: float


def probe(path: PathLike, fps: float | None = None) -> VideoInfo:
    """Describe the video at ``path``; ``fps`` overrides the container's frame rate.

    The frame count comes from the container header when it is consistent with
    the stream's duration; otherwise (Matroska has none, or an MP4 edit list
    hides frames) the packets are counted by demuxing, without decoding.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from vmag.io import probe, write_video
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "clip.mp4"
    >>> _ = write_video(path, np.zeros((10, 48, 64, 3), np.uint8), fps=30000 / 1001)
    >>> info = probe(path, fps=600)
    >>> info.frames, info.width, info.height, round(info.container_fps, 2), info.fps
    (10, 64, 48, 29.97, 600.0)
    """
    override = None if fps is None else _check_fps(fps)
    container, stream = _open_input(path)
    with container:
        rate = stream.guessed_rate or stream.average_rate
        if override is None and not rate:
            raise VmagError(f"{path} does not state a frame rate; pass fps")
        container_fps = float(rate) if rate else math.nan
        frames = stream.frames
        if not _header_count_trusted(stream, container_fps):
            tally = _Tally(container, stream, path)
            try:
                for packet in container.demux(stream):
                    tally.add(packet)
            except av.FFmpegError as e:
                raise VmagError(f"{path} is corrupt or truncated: {_reason(e)}") from None
            tally.check_complete(container_fps)
            frames = tally.shown
    if frames == 0:
        raise VmagError(f"{path} contains no video frames")
    use_fps = container_fps if override is None else override
    return VideoInfo(
        path=Path(path),
        width=stream.width,
        height=stream.height,
        fps=use_fps,
        frames=frames,
        duration=frames / use_fps,
        codec=stream.codec_context.name,
        pix_fmt=stream.codec_context.pix_fmt or "unknown",
        container_fps=container_fps,
    )


def iter_frames(
    path: PathLike, start: int = 0, stop: int | None = None, *, uint8: bool = False
) -> Iterator[np.ndarray]:
    """Yield frames ``[start, stop)`` of ``path`` one at a time as ``(H, W, 3)`` float32 RGB
    in [0, 1], or as the decoded uint8 RGB when ``uint8`` (a quarter of the bytes, for
    queues of frames awaiting their turn).

    The file is opened (and checked) at the call; frames are decoded lazily, so
    a long clip never has to fit in memory. Frames before ``start`` are decoded
    but not converted. A ``stop`` past the end simply ends at the last frame.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from vmag.io import iter_frames, write_video
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "clip.mkv"
    >>> ramp = np.broadcast_to(np.arange(10, dtype=np.uint8)[:, None, None, None], (10, 48, 64, 3))
    >>> _ = write_video(path, ramp, fps=30)
    >>> [int(round(f[0, 0, 0] * 255)) for f in iter_frames(path, start=2, stop=5)]
    [2, 3, 4]
    """
    start, stop = _check_range(start, stop)
    container, stream = _open_input(path)
    frames = _decode_rgb(container, stream, path, start, stop)
    return frames if uint8 else _to_float_frames(frames)


def read_video(
    path: PathLike, start: int = 0, stop: int | None = None, fps: float | None = None
) -> tuple[np.ndarray, VideoInfo]:
    """Decode frames ``[start, stop)`` into one ``(T, H, W, 3)`` float32 array in ``[0, 1]``.

    Returns the frames and the :func:`probe` result (``fps`` overrides the
    container's rate there). Fewer decodable frames than the container lists
    means a truncated or corrupt file and raises :class:`VmagError`.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from vmag.io import read_video, write_video
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "clip.mkv"
    >>> _ = write_video(path, np.full((10, 48, 64, 3), 0.5, np.float32), fps=30)
    >>> video, info = read_video(path, start=2)
    >>> video.shape, video.dtype, info.frames
    ((8, 48, 64, 3), dtype('float32'), 10)
    """
    start, stop = _check_range(start, stop)
    info = probe(path, fps)
    if start >= info.frames:
        raise VmagError(f"start={start} is past the end of {path} ({info.frames} frames)")
    stop = info.frames if stop is None else min(stop, info.frames)
    try:
        video = np.empty((stop - start, info.height, info.width, 3), np.float32)
    except MemoryError:
        gib = (stop - start) * info.height * info.width * 3 * 4 / 2**30
        raise VmagError(
            f"{path}: {stop - start} frames need {gib:.1f} GiB of memory; "
            "read fewer frames with start/stop"
        ) from None
    container, stream = _open_input(path)
    decoded = 0
    for decoded, rgb in enumerate(_decode_rgb(container, stream, path, start, stop), 1):
        np.multiply(rgb, _TO_UNIT, out=video[decoded - 1])
    if decoded < len(video):
        raise VmagError(
            f"{path} is truncated or corrupt: decoded {decoded} of the "
            f"{len(video)} frames the container lists from frame {start}"
        )
    return video, info


def check_crf(crf: object) -> int:
    """The H.264 quality ``crf``: an integer from 0 (lossless) to 51."""
    if isinstance(crf, bool) or not isinstance(crf, int | np.integer) or not 0 <= crf <= 51:
        raise VmagError(f"crf must be an integer from 0 (lossless) to 51, got {crf!r}")
    return int(crf)


class VideoWriter:
    """Encode RGB frames into a video file, atomically.

    The suffix picks the format: ``.mp4``/``.mov`` are H.264 (libx264, yuv420p,
    quality ``crf`` 0-51, lower is better, and speed ``preset``); ``.mkv`` is
    lossless FFV1 RGB, where ``crf`` and ``preset`` do not apply. yuv420p needs
    even sizes, so H.264 frames of odd width or height are padded to even by
    replicating the last column/row: they read back one pixel larger.

    Frames go to a hidden temporary file next to the target, which replaces the
    target only when :meth:`close` succeeds. An exception inside ``with`` (also
    KeyboardInterrupt), a failed close, or a writer garbage-collected unclosed
    deletes the temporary and leaves any existing target untouched. A target that
    is the same file as one in ``protect`` (the inputs) is refused, and missing
    parent folders are created.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from vmag.io import VideoWriter
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out" / "clip.mp4"
    >>> with VideoWriter(path, fps=30) as writer:
    ...     for t in range(10):
    ...         writer.write(np.full((48, 64, 3), t / 10, np.float32))
    >>> writer.frames_written, path.exists()
    (10, True)
    """

    def __init__(
        self,
        path: PathLike,
        fps: float | Fraction,
        *,
        crf: int = 18,
        preset: str = "veryfast",
        protect: Iterable[PathLike] = (),
    ) -> None:
        self.path = Path(path)
        self.frames_written = 0
        suffix = self.path.suffix.lower()
        if suffix not in FORMATS:
            raise VmagError(
                f"cannot write {self.path}: unsupported suffix {suffix or '(none)'!r}; "
                "use .mp4 or .mov (H.264) or .mkv (lossless FFV1)"
            )
        container_format, self._codec, self._pix_fmt = FORMATS[suffix]
        self._rate = _as_rate(fps)
        check_crf(crf)
        check_choice("preset", preset, X264_PRESETS)
        self._options = {"crf": str(int(crf)), "preset": preset}
        refuse_protected(self.path, protect)
        if self.path.is_dir():
            raise VmagError(f"cannot write {self.path}: it is a directory; add a file name")
        self._stream: av.VideoStream | None = None
        self._size = (0, 0)  # (height, width) of the frames, fixed by the first one
        try:
            self._file = AtomicFile(self.path)
        except OSError as e:
            raise VmagError(f"cannot write {self.path}: {_reason(e)}") from None
        try:
            container = av.open(str(self._file.path), "w", format=container_format)
        except (OSError, av.FFmpegError) as e:
            self._file.discard()
            raise VmagError(f"cannot write {self.path}: {_reason(e)}") from None
        self._container = container
        self._discard = weakref.finalize(self, _discard_output, container, self._file)

    def write(self, frame: np.ndarray) -> None:
        """Append one ``(H, W, 3)`` RGB frame: float in [0, 1] (clipped) or uint8.

        The first frame fixes the size; NaN values give undefined pixels.
        """
        if not self._discard.alive:
            raise VmagError(f"cannot write to {self.path}: the writer is closed")
        rgb = self._to_uint8(np.asarray(frame))
        packed = av.VideoFrame.from_ndarray(rgb, format="rgb24")  # copies rgb
        packed.pts = self.frames_written
        packed.time_base = 1 / self._rate
        self._encode(packed)
        self.frames_written += 1

    def write_many(self, frames: Iterable[np.ndarray]) -> None:
        """Append every frame of ``frames`` (a ``(T, H, W, 3)`` array or an iterable)."""
        for frame in frames:
            self.write(frame)

    def close(self) -> None:
        """Finish the file and move it onto the target; on failure discard it and raise."""
        if not self._discard.alive:
            return
        if self._stream is None:
            self._discard()
            raise VmagError(f"no frames were written, so {self.path} was not created")
        try:
            self._encode(None)
            self._container.close()
            self._file.commit()
        except (OSError, av.FFmpegError) as e:
            self._discard()
            raise VmagError(f"writing {self.path} failed: {_reason(e)}") from None
        except BaseException:
            self._discard()
            raise
        self._discard.detach()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self._discard()

    def _encode(self, frame: av.VideoFrame | None) -> None:
        """Encode ``frame`` (None flushes) and mux the packets; discard the output on failure."""
        assert self._stream is not None
        try:
            self._container.mux(self._stream.encode(frame))
        except (OSError, av.FFmpegError) as e:
            self._discard()
            raise VmagError(f"writing {self.path} failed: {_reason(e)}") from None

    def _to_uint8(self, frame: np.ndarray) -> np.ndarray:
        """Convert to uint8 RGB in reused buffers (the hot path), padding odd sizes for H.264."""
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise VmagError(f"frames must be (H, W, 3) RGB arrays, got shape {frame.shape}")
        if frame.dtype != np.uint8 and not np.issubdtype(frame.dtype, np.floating):
            raise VmagError(f"frames must be float in [0, 1] or uint8, got dtype {frame.dtype}")
        if self._stream is None:
            self._start(*frame.shape[:2])
        elif frame.shape[:2] != self._size:
            raise VmagError(
                f"frame {self.frames_written} is {frame.shape[1]}x{frame.shape[0]} but {self.path} "
                f"is {self._size[1]}x{self._size[0]}; all frames must have one size"
            )
        h, w = self._size
        if frame.dtype == np.uint8:
            self._rgb[:h, :w] = frame
        else:
            np.clip(frame, 0, 1, out=self._unit)
            self._unit *= 255
            self._unit += 0.5
            self._rgb[:h, :w] = self._unit  # truncating x + 0.5 rounds to nearest
        if self._rgb.shape[0] > h:
            self._rgb[h:] = self._rgb[h - 1]
        if self._rgb.shape[1] > w:
            self._rgb[:, w:] = self._rgb[:, w - 1 : w]
        return self._rgb

    def _start(self, height: int, width: int) -> None:
        """Add the video stream once the first frame gives the size."""
        if height < 1 or width < 1:
            raise VmagError(f"frames must be at least 1x1 pixels, got {width}x{height}")
        even = self._codec == "libx264"
        padded = (height + height % 2, width + width % 2) if even else (height, width)
        stream = self._container.add_stream(self._codec, rate=self._rate)
        stream.height, stream.width = padded
        stream.pix_fmt = self._pix_fmt
        if self._codec == "libx264":
            stream.options = self._options
            # swscale converts RGB to yuv420p with BT.601 limited range; say so to players.
            stream.codec_context.colorspace = Colorspace.ITU601
            stream.codec_context.color_range = ColorRange.MPEG
        self._stream = stream
        self._size = (height, width)
        self._rgb = np.empty((*padded, 3), np.uint8)
        self._unit = np.empty((height, width, 3), np.float32)


def write_video(
    path: PathLike,
    frames: Iterable[np.ndarray],
    fps: float | Fraction,
    *,
    crf: int = 18,
    preset: str = "veryfast",
    protect: Iterable[PathLike] = (),
) -> Path:
    """Write ``frames`` to ``path`` with a :class:`VideoWriter`; return the path.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from vmag.io import write_video
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "gray.mkv"
    >>> write_video(path, np.full((5, 48, 64, 3), 0.5), fps=25) == path
    True
    """
    with VideoWriter(path, fps, crf=crf, preset=preset, protect=protect) as writer:
        writer.write_many(frames)
    return writer.path


class _Tally:
    """Counts a stream's packets while demuxing, to notice a file cut short."""

    def __init__(
        self, container: av.container.InputContainer, stream: av.VideoStream, path: PathLike
    ) -> None:
        self.container, self.stream, self.path = container, stream, path
        self.packets = 0  # every packet, as the header counts them
        self.shown = 0  # packets not discarded by an edit list: the frames a decoder outputs
        self.end = -math.inf  # latest presentation end time in seconds

    def add(self, packet: av.Packet) -> None:
        if packet.size == 0:  # PyAV's final empty packet, which flushes the decoder
            return
        self.packets += 1
        self.shown += not packet.is_discard
        if packet.pts is not None and packet.time_base:
            end = (packet.pts + (packet.duration or 0)) * packet.time_base
            self.end = max(self.end, float(end))

    def check_complete(self, fps: float) -> None:
        """Raise if fewer packets arrived than the header lists or they end early.

        The time test applies only to files without a frame count that hold just
        this stream, whose container duration is then the video's own.
        """
        stream, problem = self.stream, None
        if stream.frames > 0:
            if self.packets < stream.frames:
                problem = f"holds {self.packets} of the {stream.frames} frames its header lists"
        elif len(self.container.streams) == 1 and self.container.duration and fps > 0:
            start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
            declared = self.container.duration / av.time_base
            if self.end - start < declared - 1.5 / fps:
                problem = f"ends at {self.end - start:.3f} s of the {declared:.3f} s it declares"
        if problem:
            raise VmagError(f"{self.path} is truncated or corrupt: it {problem}")


def _open_input(path: PathLike) -> tuple[av.container.InputContainer, av.VideoStream]:
    """Open ``path`` for reading and return it with its first video stream."""
    p = Path(path)
    if not p.exists():
        raise VmagError(f"video file not found: {p}")
    if p.is_dir():
        raise VmagError(f"{p} is a directory, not a video file")
    if p.stat().st_size == 0:
        raise VmagError(f"{p} is empty (0 bytes), not a video")
    try:
        container = av.open(str(p))
    except (OSError, av.FFmpegError) as e:
        raise VmagError(
            f"cannot read {p} as a video (not a video, or corrupt or truncated): {_reason(e)}"
        ) from None
    if not container.streams.video:
        container.close()
        raise VmagError(f"{p} has no video stream")
    return container, container.streams.video[0]


def _decode_rgb(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    path: PathLike,
    start: int,
    stop: int | None,
) -> Iterator[np.ndarray]:
    """Yield frames ``[start, stop)`` as uint8 RGB, then close ``container``.

    Raises :class:`VmagError` when decoding fails or the file turns out shorter
    than its header says, or when ``start`` lies past the end.
    """
    # Frame threads hold a decoded frame each: at 1080p and above, where every magnifier
    # is far slower than the decoder, slice threads save that memory (~9 MiB) for nothing.
    large = stream.width * stream.height >= 1920 * 1080
    stream.codec_context.thread_type = "SLICE" if large else "AUTO"
    size = (stream.width, stream.height)
    tally = _Tally(container, stream, path)
    index = 0
    with container:
        try:
            for packet in container.demux(stream):
                tally.add(packet)
                for frame in packet.decode():
                    if (frame.width, frame.height) != size:
                        raise VmagError(
                            f"{path} changes frame size at frame {index} "
                            f"({size[0]}x{size[1]} to {frame.width}x{frame.height})"
                        )
                    if index >= start:
                        yield frame.to_ndarray(format="rgb24")
                    index += 1
                    if stop is not None and index >= stop:
                        return
        except av.FFmpegError as e:
            raise VmagError(
                f"{path} is corrupt or truncated: decoding failed after {index} frames: "
                f"{_reason(e)}"
            ) from None
        rate = stream.guessed_rate or stream.average_rate
        tally.check_complete(float(rate) if rate else math.nan)
    if index <= start:
        raise VmagError(f"start={start} is past the end of {path} ({index} frames)")


def _to_float_frames(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """Map uint8 frames to new float32 arrays in [0, 1], closing ``frames`` when done."""
    with contextlib.closing(frames):
        for rgb in frames:
            yield np.multiply(rgb, _TO_UNIT)


def _check_range(start: int, stop: int | None) -> tuple[int, int | None]:
    """Validate a frame range: integers with 0 <= start < stop."""
    if isinstance(start, bool) or not isinstance(start, int | np.integer) or start < 0:
        raise VmagError(f"start must be an integer frame index >= 0, got {start!r}")
    if stop is not None and (
        isinstance(stop, bool) or not isinstance(stop, int | np.integer) or stop <= start
    ):
        raise VmagError(f"stop must be an integer frame index > start ({start}), got {stop!r}")
    return int(start), None if stop is None else int(stop)


def _check_fps(fps: float | Fraction) -> float:
    """A frame rate as a float, or VmagError naming ``fps``."""
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise VmagError(f"fps must be a finite number > 0, got {fps!r}") from None
    return check_positive("fps", value)


def _as_rate(fps: float | Fraction) -> Fraction:
    """The exact frame rate to store: Fractions as given, floats to the nearest n/d, d <= 1001000.

    That bound turns 30000 / 1001 back into the NTSC rate 30000/1001 and 29.97 into 2997/100.
    """
    value = _check_fps(fps)
    return fps if isinstance(fps, Fraction) else Fraction(value).limit_denominator(1001 * 1000)


def _header_count_trusted(stream: av.VideoStream, fps: float) -> bool:
    """Whether the header's frame count agrees with the stream's duration at ``fps``."""
    if stream.frames <= 0:
        return False
    if stream.duration is None:
        return True
    return abs(float(stream.duration * stream.time_base) * fps - stream.frames) < 0.5


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (the same path, or links to one inode)."""
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and os.path.samefile(a, b)


def refuse_protected(target: Path, protect: Iterable[PathLike]) -> None:
    """Raise if ``target`` is one of the ``protect`` files (by resolved path or inode)."""
    if isinstance(protect, str | os.PathLike):
        protect = (protect,)
    for keep in map(Path, protect):
        if same_file(target, keep):
            raise VmagError(f"refusing to overwrite the input {keep}: choose another output path")


def _discard_output(container: av.container.OutputContainer, file: AtomicFile) -> None:
    """Close an unfinished output and delete its temporary file."""
    with contextlib.suppress(Exception):
        container.close()
    file.discard()


def _reason(error: BaseException) -> str:
    """The short description of an OS or FFmpeg error, without errno noise."""
    return getattr(error, "strerror", None) or str(error)
