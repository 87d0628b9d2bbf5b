"""Dreaming in time (notebooks 07-08): a video dreamed frame by frame, each dream carried along the optical flow.

- :mod:`~dreamlib.video.frames`: video files in and out (ffmpeg), sound kept; sample clips made from the photos.
- :mod:`~dreamlib.video.flow`: optical flow (OpenCV's Farnebäck, or torchvision's RAFT from the weights cache).
- :mod:`~dreamlib.video.warp`: moving a picture along a flow, occlusion masks, and how much a video flickers.
- :mod:`~dreamlib.video.dream`: :func:`dream_video`, resumable, nothing partial.
"""

from .dream import VideoReport, dream_video
from .flow import optical_flow
from .frames import VideoInfo, read_frames, sample_clip, video_info, write_video
from .warp import flicker, occlusion_mask, warp

__all__ = [
    "VideoInfo",
    "VideoReport",
    "dream_video",
    "flicker",
    "occlusion_mask",
    "optical_flow",
    "read_frames",
    "sample_clip",
    "video_info",
    "warp",
    "write_video",
]
