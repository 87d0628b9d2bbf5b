"""Images in and out: every source becomes a float tensor (1, 3, H, W) in [0, 1].

:func:`load_image` reads paths, http(s) URLs, PIL images and numpy arrays,
applies the EXIF orientation a phone camera recorded, converts every pixel mode
to RGB and keeps the aspect ratio. :func:`save_image` writes atomically and
never overwrites an image it loaded. Taught in notebook 02 (preprocessing).
"""

from __future__ import annotations

import io
import math
import os
import struct
import zlib
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from .errors import DreamError, ImageLoadError, NonFiniteError
from .io.download import fetch_url, redact
from .io.files import atomic_path, check_file_name

SAMPLE_PREFIX = "sample:"  # load_image("sample:chelsea") and the CLI name the bundled sample images this way
SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
_loaded_paths: set[str] = set()  # files load_image read: save_image refuses to overwrite them


def to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode -> RGB. Transparency is composited over white; 16-bit keeps its full range."""
    if img.mode == "RGB":
        return img
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        if img.mode == "F" and arr.max() <= 1.0:
            top = 1.0  # float image already in [0, 1]
        elif img.mode.startswith("I;16") or arr.max() > 255:
            top = 65535.0  # 16-bit range
        else:
            top = 255.0
        arr = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(arr).convert("RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return img.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageLoadError(f"cannot convert image mode {img.mode} to RGB: {exc}") from None


RANGE_SLACK = 0.01  # float pixels may stray this far outside [0, 1] (rounding, resampling) and are clamped


def check_float_range(low: float, high: float, finite: bool = True) -> None:
    """The one rule for float images, arrays and tensors alike: finite values in [0, 1].

    A little overshoot from rounding or resampling (``RANGE_SLACK``) is clamped;
    anything further out is another convention (0..255, or ImageNet-normalised)
    and is refused with a hint instead of being silently clamped to white or black.
    """
    if not finite:
        raise ImageLoadError("the image holds NaN or infinite values; every pixel must be a number in [0, 1]")
    if low < -RANGE_SLACK or high > 1 + RANGE_SLACK:
        hint = (
            "divide by 255 first"
            if high > 2 and low >= -RANGE_SLACK
            else "pass the image before normalisation: dreamlib models normalise for themselves"
            if low < 0
            else "clamp it with .clamp(0, 1) first"
        )
        raise ImageLoadError(f"float images must hold values in [0, 1], got {low:.4g}..{high:.4g}; {hint}")


def _from_array(arr: np.ndarray) -> Image.Image:
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (3, 4)):
        raise ImageLoadError(f"expected an array of shape (H, W), (H, W, 3) or (H, W, 4), got {arr.shape}")
    if arr.size == 0:
        raise ImageLoadError(f"the array holds no pixels (shape {arr.shape})")
    if arr.dtype == np.uint8:
        scaled = arr
    elif arr.dtype == np.uint16:
        scaled = (arr.astype(np.float64) / 257.0 + 0.5).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating):
        finite = bool(np.isfinite(arr).all())
        check_float_range(float(np.min(arr)) if finite else 0.0, float(np.max(arr)) if finite else 0.0, finite)
        scaled = (np.clip(arr, 0, 1) * 255.0 + 0.5).astype(np.uint8)
    else:
        raise ImageLoadError(f"unsupported array dtype {arr.dtype}; use uint8, uint16 or float in [0, 1]")
    return to_rgb(Image.fromarray(scaled))


def tensor_values(t: torch.Tensor) -> torch.Tensor:
    """Pixel values of an image tensor as floats in [0, 1], whatever its dtype.

    ``uint8`` (what ``torchvision.io.read_image`` returns) is divided by 255 and
    ``uint16`` by 65535; floats must already be in [0, 1] (see
    :func:`check_float_range`); other integer types and ``bool`` are refused.
    Taught in notebook 02.
    """
    if t.dtype == torch.uint8:
        return t.float().div_(255.0)  # in place: no second full-size copy
    if t.dtype == getattr(torch, "uint16", None):
        return t.float().div_(65535.0)
    if not t.is_floating_point():
        raise ImageLoadError(f"unsupported image tensor dtype {t.dtype}; use uint8 (0..255), uint16 or float in [0, 1]")
    if t.numel() == 0:
        raise ImageLoadError(f"the image tensor holds no pixels (shape {tuple(t.shape)})")
    if t.device.type == "meta":  # a meta tensor (tests standing in for a GPU) has no values to check
        return t.float()
    # Two reductions and no image-sized temporaries (a print-size image is 800 MB): min and max are NaN
    # or infinite exactly when some pixel is, and an image already in [0, 1] is returned without a copy.
    low, high = float(t.min()), float(t.max())
    finite = math.isfinite(low) and math.isfinite(high)
    check_float_range(low if finite else 0.0, high if finite else 0.0, finite)
    t = t.float()
    return t if 0.0 <= low and high <= 1.0 else t.clamp(0, 1)


def _open(source) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, np.ndarray):
        return _from_array(source)
    if isinstance(source, (str, Path)):
        text = str(source)
        if "://" in text:
            data = fetch_url(text)
            if data.lstrip()[:1] == b"<" and b"<html" in data[:2048].lower():
                raise ImageLoadError(f"{redact(text)} is a web page, not an image; use the address of the image itself")
            return Image.open(io.BytesIO(data))
        path = (
            sample_image_path(text[len(SAMPLE_PREFIX) :]) if text.startswith(SAMPLE_PREFIX) else Path(text).expanduser()
        )
        if not path.is_file():
            raise ImageLoadError(f"no such image file: {text}")
        _loaded_paths.add(os.path.realpath(path))
        return Image.open(path)
    raise ImageLoadError(f"cannot load an image from {type(source).__name__}; give a path, URL, PIL image or array")


def pil_to_tensor(img: Image.Image, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """RGB PIL image -> float tensor (1, 3, H, W) in [0, 1] (``dtype=torch.uint8``: its 0..255 values).

    One uint8 copy of the pixels and the result, no other full-size temporaries.
    """
    pixels = torch.from_numpy(np.array(to_rgb(img), dtype=np.uint8)).permute(2, 0, 1).unsqueeze(0)
    if dtype == torch.uint8:
        return pixels.contiguous()
    return pixels.to(torch.float32, memory_format=torch.contiguous_format).div_(255.0)


def tensor_to_pil(image: torch.Tensor) -> Image.Image:
    """Float tensor (1, 3, H, W) or (3, H, W) in [0, 1] -> RGB PIL image (values are clamped).

    The tensor may be on any device (a GPU) and in any dtype (float64, float16,
    bfloat16): it is brought to the CPU as float32 first.
    Taught in notebook 02.
    """
    if image.dim() == 4:
        if image.shape[0] != 1:
            raise DreamError(f"expected one image, got a batch of {image.shape[0]}")
        image = image[0]
    if image.dim() != 3 or image.shape[0] != 3:
        raise DreamError(f"expected an image tensor of shape (1, 3, H, W), got {tuple(image.shape)}")
    image = image.detach()
    h, w = image.shape[1:]
    arr = np.empty((h, w, 3), dtype=np.uint8)
    rows = max(1, 2**20 // max(1, w))  # ~1M pixels at a time: a print-size image needs no full-size float temporaries
    for y in range(0, h, rows):
        part = image[:, y : y + rows].cpu().float().clamp(0, 1).permute(1, 2, 0).numpy()
        arr[y : y + rows] = (part * 255.0 + 0.5).astype(np.uint8)
    return Image.fromarray(arr, "RGB")


def load_image(source, max_size: int | None = 512, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Load an image as a float tensor (1, 3, H, W) in [0, 1] (``dtype=torch.uint8``: 0..255, a quarter of the memory).

    ``source``: a file path, an http(s) URL, a bundled sample named like
    ``"sample:chelsea"`` (see :func:`list_samples`), a PIL image, a numpy array (uint8,
    uint16 or float in [0, 1]) or a tensor. The EXIF orientation is applied and
    every mode (RGBA, P, L, 1, CMYK, I;16, ...) becomes RGB. If the longer side
    exceeds ``max_size`` the image is shrunk, keeping its aspect ratio (it is
    never enlarged). ``dtype=torch.uint8`` keeps the decoded 8-bit values (what the
    command line hands to :func:`dreamlib.dream`, which then owns its float copy and
    can free it early on print-size images). Taught in notebook 02.
    """
    if max_size is not None and max_size < 1:
        raise DreamError(f"max_size must be a positive number of pixels, got {max_size}")
    if dtype not in (torch.float32, torch.uint8):
        raise DreamError(f"dtype must be torch.float32 or torch.uint8, got {dtype!r}")
    if isinstance(source, torch.Tensor):
        t = source.detach()
        t = t.unsqueeze(0) if t.dim() == 3 else t
        if t.dim() != 4 or t.shape[:2] != (1, 3):
            raise ImageLoadError(f"expected a tensor of shape (3, H, W) or (1, 3, H, W), got {tuple(source.shape)}")
        t = resize_to_max(tensor_values(t).clone(), max_size)
        return t if dtype == torch.float32 else t.mul_(255).round_().to(torch.uint8)
    name = redact(str(source)) if isinstance(source, (str, Path)) else type(source).__name__
    try:
        img = _open(source)
        if max_size is not None and img.format == "JPEG":
            img.draft("RGB", (max_size, max_size))  # let the JPEG decoder shrink big photos cheaply
        img = ImageOps.exif_transpose(img)
        img = to_rgb(img)
        img.load()
    except DreamError:
        raise
    except Image.DecompressionBombError:
        raise ImageLoadError(
            f"{name} has too many pixels to open safely (Pillow's limit is {Image.MAX_IMAGE_PIXELS})"
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(f"{name} is not an image PIL can read (PNG, JPEG, GIF, BMP, TIFF, WebP, ...)") from None
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        IndexError,
        TypeError,
        struct.error,
        zlib.error,
        MemoryError,
    ) as exc:
        # A damaged or crafted file: Pillow's decoders raise all of these (e.g. ValueError for a
        # compressed PNG text or colour-profile chunk that inflates past Pillow's safety limit).
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageLoadError(f"could not read image {name}: {detail}") from None
    if min(img.size) < 1:
        raise ImageLoadError(f"{name} has no pixels ({img.width}x{img.height})")
    if max_size is not None and max(img.size) > max_size:
        scale = max_size / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.LANCZOS)
    return pil_to_tensor(img, dtype)


def resize_to_max(image: torch.Tensor, max_size: int | None) -> torch.Tensor:
    """Shrink a tensor image so its longer side is at most ``max_size`` (aspect ratio kept)."""
    h, w = image.shape[-2:]
    if max_size is None or max(h, w) <= max_size:
        return image
    scale = max_size / max(h, w)
    return resize(image, (max(1, round(h * scale)), max(1, round(w * scale))))


LARGE = 2**24  # values: from here on, resize works a channel at a time


def resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of a (N, C, H, W) tensor to ``size`` = (H, W), antialiased when shrinking.

    Taught in notebook 02.
    """
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    shrinking = size[0] < image.shape[-2] or size[1] < image.shape[-1]
    if image.dim() != 4 or image.shape[1] == 1 or image.numel() < LARGE:
        return F.interpolate(image, size=size, mode="bilinear", align_corners=False, antialias=shrinking)
    # A print-size image a channel at a time: the same numbers, a third of the interpolation's temporaries
    out = image.new_empty(*image.shape[:2], *size)
    for c in range(image.shape[1]):
        out[:, c : c + 1] = F.interpolate(
            image[:, c : c + 1], size=size, mode="bilinear", align_corners=False, antialias=shrinking
        )
    return out


def save_image(
    image: torch.Tensor,
    path: str | os.PathLike,
    *,
    source: str | os.PathLike | None = None,
    text: dict[str, str] | None = None,
) -> Path:
    """Write ``image`` as PNG or JPEG (chosen by the extension), atomically.

    The file is written to a temporary name next to ``path`` and renamed into
    place, so a crash never leaves half a file. Refuses to overwrite ``source``
    or any file :func:`load_image` read. ``image`` may be on any device and in any
    dtype (see :func:`tensor_to_pil`). ``text``: PNG text chunks to store (the
    command line stores the dream's settings, see :mod:`dreamlib.io.records`).
    Returns the path written. Taught in notebook 02.
    """
    path = Path(path).expanduser()
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DreamError(f"cannot save {path.name!r}: use a .png, .jpg or .jpeg file name")
    check_file_name(path)
    real = os.path.realpath(path)
    if real in _loaded_paths or (source is not None and real == os.path.realpath(source)):
        raise DreamError(f"refusing to overwrite the input image {path}; choose another output name")
    pil = tensor_to_pil(image)
    with atomic_path(path) as tmp:
        pil.save(tmp, format=fmt, **({"quality": 95} if fmt == "JPEG" else {"pnginfo": _png_info(text)}))
    return path


def _png_info(text: dict[str, str] | None) -> PngImagePlugin.PngInfo | None:
    if not text:
        return None
    info = PngImagePlugin.PngInfo()
    for key, value in text.items():
        info.add_itxt(key, value)  # iTXt: UTF-8, so any file name survives
    return info


def _samples_dir():
    try:
        packaged = resources.files("dreamlib.sample_images")
        if packaged.joinpath("CREDITS.md").is_file():
            return packaged
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "images"  # a source checkout


def list_samples() -> list[str]:
    """Names of the bundled CC0 / public-domain sample images (see images/CREDITS.md).

    Taught in notebook 02.
    """
    return sorted(p.name.rsplit(".", 1)[0] for p in _samples_dir().iterdir() if p.name.endswith((".png", ".jpg")))


def sample_image_path(name: str) -> Path:
    """The file of a bundled sample image, e.g. ``sample_image_path("chelsea")``. Taught in notebook 02."""
    for entry in _samples_dir().iterdir():
        if entry.name.rsplit(".", 1)[0] == name and entry.name.endswith((".png", ".jpg")):
            return Path(str(entry))
    raise DreamError(f"unknown sample image {name!r}; choose one of: {', '.join(list_samples())}")


def sample_image(name: str = "chelsea", max_size: int | None = 512) -> torch.Tensor:
    """One of the bundled sample images as a (1, 3, H, W) tensor in [0, 1]. Taught in notebook 01; how images
    are loaded and resized in notebook 02."""
    return load_image(sample_image_path(name), max_size=max_size)


def as_batch(image, keep_uint8: bool = False) -> torch.Tensor:
    """A (N, 3, H, W) float tensor in [0, 1] from a tensor ((3, H, W) gains a batch axis) or anything load_image reads.

    uint8 tensors are scaled by 1/255; float values outside [0, 1], NaN and inf are refused
    (see :func:`tensor_values`). ``keep_uint8``: uint8 pixels (and files, decoded as uint8)
    stay uint8, a quarter of the memory (print-size dreams, :mod:`dreamlib.tiles`).
    """
    if not isinstance(image, torch.Tensor):
        return load_image(image, max_size=None, dtype=torch.uint8 if keep_uint8 else torch.float32)
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[1] != 3:
        raise DreamError(f"expected an image tensor of shape (1, 3, H, W), got {tuple(image.shape)}")
    if keep_uint8 and image.dtype == torch.uint8:
        return image.detach()
    return tensor_values(image.detach())


def check_finite(image: torch.Tensor, where: str) -> torch.Tensor:
    """Refuse to go on with NaN or infinite pixels: say where they appeared and what usually helps."""
    # One reduction in the image's own dtype, no image-sized mask or float64 copy (a print-size tiled dream
    # counts every byte): NaN and inf survive a sum, and pixels in [0, 1] cannot overflow it.
    if image.device.type != "meta" and not bool(torch.isfinite(image.sum())):
        raise NonFiniteError(
            f"the dream became NaN or infinite {where}: the network produced non-finite values or gradients "
            f"(try dl.faster(model, precision='fp32') or the model as it is, a smaller lr, or check the model "
            f"on this input)"
        )
    return image
