"""One frame of a CCTV video, decoded with PyAV (FFmpeg bundled in its wheel) for a face search.

The frame nearest the chosen time is found by seeking to the keyframe at or before it and decoding forward.
Decoding is bounded: frames are too large or too many to decode before reaching the time give up with
:class:`UnreadableVideo` rather than run on, and only the frame that is kept stays in memory.
"""

from __future__ import annotations

import re
from typing import IO, Any

import av
import numpy as np
from numpy.typing import NDArray

from .engine import MAX_PIXELS

MAX_DECODED_FRAMES = 3000  # past a keyframe: 2 minutes at 25 fps, far more than any CCTV keyframe gap
MAX_SECONDS = 24 * 3600

_TIME = re.compile(r"^\s*(?:(\d{1,2}):)?(?:(\d{1,2}):)?(\d+(?:\.\d+)?)\s*$")


class UnreadableVideo(ValueError):
    """The file could not be decoded as a video, or decoding would run past its bounds."""


class PastTheEnd(ValueError):
    """The chosen time is after the video's last frame; ``duration`` is its length in seconds."""

    def __init__(self, duration: float) -> None:
        super().__init__(f"the video is {duration:.1f} s long")
        self.duration = duration


def parse_time(text: str) -> float | None:
    """Seconds from ``"12"``, ``"12.5"``, ``"1:05"`` (mm:ss) or ``"1:02:05"``; None if not a time."""
    match = _TIME.match(text or "")
    if match is None:
        return None
    first, second, last = match.groups()
    hours, minutes = (first, second) if second is not None else (None, first)
    seconds = float(last)
    if (minutes is not None or hours is not None) and seconds >= 60:
        return None
    if hours is not None and int(minutes or 0) >= 60:
        return None
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + seconds
    return total if total <= MAX_SECONDS else None


def frame_at(source: IO[bytes] | Any, seconds: float) -> NDArray[np.uint8]:
    """The RGB frame shown at ``seconds`` into the video (the last frame starting at or before it)."""
    if seconds < 0:
        raise PastTheEnd(0.0)
    try:
        container = av.open(source, mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise UnreadableVideo(str(exc) or "not a video") from exc
    try:
        if not container.streams.video:
            raise UnreadableVideo("the file has no video stream")
        stream = container.streams.video[0]
        if stream.width * stream.height > MAX_PIXELS:
            raise UnreadableVideo("the frames are too large")
        base = stream.time_base
        duration = _duration(container, stream)
        if duration is not None and seconds >= duration:
            raise PastTheEnd(duration)
        if base is not None:
            container.seek(int(seconds / base), stream=stream, backward=True, any_frame=False)
        chosen = None
        last_time = 0.0
        for decoded, frame in enumerate(container.decode(stream), start=1):
            if decoded > MAX_DECODED_FRAMES:
                raise UnreadableVideo("too many frames to decode to reach that time")
            at = frame.time if frame.time is not None else last_time
            if chosen is not None and at > seconds:
                break
            if at <= seconds or chosen is None:
                chosen = frame.to_ndarray(format="rgb24")
                last_time = at
        if chosen is None:
            raise UnreadableVideo("no frame could be decoded")
        if duration is None and seconds > last_time + 1.0:
            raise PastTheEnd(last_time)
        return np.ascontiguousarray(chosen, dtype=np.uint8)
    except (av.error.FFmpegError, OSError) as exc:
        raise UnreadableVideo(str(exc) or "the video could not be decoded") from exc
    finally:
        container.close()


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None
