"""Images in and out (dreamlib/images.py, lesson 02)."""

import numpy as np
import pytest
import torch
from PIL import Image

import dreamlib
from dreamlib import images as images_mod
from dreamlib import load_image, save_image


def test_path_gives_float_batch_in_unit_range(tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (30, 20), (255, 0, 0)).save(path)
    t = load_image(path)
    assert t.shape == (1, 3, 20, 30) and t.dtype == torch.float32
    assert t[0, 0].min() == 1.0 and t[0, 1:].max() == 0.0


def test_long_side_is_capped_and_aspect_kept():
    big = Image.new("RGB", (1000, 500))
    assert load_image(big, max_size=200).shape == (1, 3, 100, 200)
    assert load_image(big, max_size=None).shape == (1, 3, 500, 1000)
    assert load_image(Image.new("RGB", (50, 40)), max_size=200).shape == (1, 3, 40, 50)  # never enlarged
    with pytest.raises(dreamlib.DreamError, match="positive"):
        load_image(big, max_size=0)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: Image.new("RGBA", (4, 4), (255, 0, 0, 0)), (1.0, 1.0, 1.0)),  # transparent -> white
        (lambda: Image.new("RGBA", (4, 4), (255, 0, 0, 255)), (1.0, 0.0, 0.0)),
        (lambda: Image.new("LA", (4, 4), (0, 255)), (0.0, 0.0, 0.0)),
        (lambda: Image.new("L", (4, 4), 255), (1.0, 1.0, 1.0)),
        (lambda: Image.new("1", (4, 4), 1), (1.0, 1.0, 1.0)),
        (lambda: Image.new("CMYK", (4, 4), (0, 255, 255, 0)), (1.0, 0.0, 0.0)),
        (lambda: Image.new("I;16", (4, 4), 65535), (1.0, 1.0, 1.0)),
        (lambda: Image.new("I;16", (4, 4), 32768), (128 / 255, 128 / 255, 128 / 255)),
    ],
    ids=["RGBA-clear", "RGBA", "LA", "L", "1", "CMYK", "I16-max", "I16-half"],
)
def test_every_mode_becomes_rgb(make, expected):
    t = load_image(make())
    assert t.shape == (1, 3, 4, 4)
    torch.testing.assert_close(t[0, :, 0, 0], torch.tensor(expected), atol=1 / 255, rtol=0)


def test_palette_with_transparency_is_composited_on_white():
    p = Image.new("P", (4, 4), 0)
    p.putpalette([0, 0, 255] + [0] * 765)
    p.info["transparency"] = 0
    torch.testing.assert_close(load_image(p)[0, :, 0, 0], torch.ones(3))
    p.info.pop("transparency")
    torch.testing.assert_close(load_image(p)[0, :, 0, 0], torch.tensor([0.0, 0.0, 1.0]))


def test_exif_orientation_is_applied(tmp_path):
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "phone.jpg"
    img.save(path, exif=exif.tobytes(), quality=100)
    t = load_image(path)
    assert t.shape == (1, 3, 40, 20)  # portrait now
    assert t[0, 0, 2, 10] > 0.9 and t[0, 2, 2, 10] < 0.1  # top is red
    assert t[0, 2, 37, 10] > 0.9  # bottom is blue


def test_numpy_arrays_of_each_kind():
    gray = np.full((5, 6), 255, np.uint8)
    assert load_image(gray).shape == (1, 3, 5, 6) and load_image(gray).min() == 1.0
    rgba = np.zeros((5, 6, 4), np.uint8)
    assert load_image(rgba).min() == 1.0  # fully transparent -> white
    floats = np.full((5, 6, 3), 0.5, np.float32)
    torch.testing.assert_close(load_image(floats).mean(), torch.tensor(128 / 255), atol=1e-3, rtol=0)
    assert load_image(np.full((2, 2, 3), 65535, np.uint16)).min() == 1.0
    with pytest.raises(dreamlib.ImageLoadError, match=r"\[0, 1\]"):
        load_image(np.full((2, 2, 3), 2.0))
    with pytest.raises(dreamlib.ImageLoadError, match="shape"):
        load_image(np.zeros((2, 2, 7)))


def test_bad_inputs_give_clear_errors(tmp_path):
    with pytest.raises(dreamlib.ImageLoadError, match="no such image file"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(dreamlib.ImageLoadError, match="not an image"):
        load_image(tmp_path / "notes.txt")
    for url in ("ftp://example.com/cat.png", "file:///etc/passwd"):
        with pytest.raises(dreamlib.ImageLoadError, match="only http and https"):
            load_image(url)


def test_save_round_trip_png_and_jpeg(tmp_path, image):
    out = save_image(image, tmp_path / "out.png")
    torch.testing.assert_close(load_image(out, max_size=None), image, atol=0.5 / 255 + 1e-6, rtol=0)
    jpg = save_image(image, tmp_path / "sub" / "out.JPG")
    assert Image.open(jpg).format == "JPEG"
    with pytest.raises(dreamlib.DreamError, match=r"\.png, \.jpg or \.jpeg"):
        save_image(image, tmp_path / "out.gif")


def test_save_refuses_to_overwrite_the_input(tmp_path):
    path = tmp_path / "input.png"
    Image.new("RGB", (8, 8), (10, 20, 30)).save(path)
    before = path.read_bytes()
    t = load_image(path)
    with pytest.raises(dreamlib.DreamError, match="refusing to overwrite the input"):
        save_image(t, path)
    other = tmp_path / "other.png"
    with pytest.raises(dreamlib.DreamError, match="refusing"):
        save_image(t, other, source=other)
    assert path.read_bytes() == before


def test_bundled_samples_ship_with_credits():
    names = dreamlib.list_samples()
    assert {"chelsea", "coffee", "astronaut", "hubble_deep_field", "rocket"} <= set(names)
    credits = dreamlib.sample_image_path("chelsea").parent / "CREDITS.md"
    for name in names:
        assert name in credits.read_text()
    assert dreamlib.sample_image("chelsea", max_size=100).shape == (1, 3, 67, 100)
    with pytest.raises(dreamlib.DreamError, match="choose one of: astronaut, chelsea"):
        dreamlib.sample_image("dog")


def test_decompression_bombs_are_refused(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    Image.new("RGB", (100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 10 000 px is then over twice the limit
    with pytest.raises(dreamlib.ImageLoadError, match="too many pixels"):
        load_image(path)


def test_big_jpeg_is_shrunk_while_decoding(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (1600, 1200), (30, 60, 90)).save(path, quality=90)
    t = load_image(path, max_size=200)
    assert t.shape == (1, 3, 150, 200)
    torch.testing.assert_close(t[0, :, 75, 100], torch.tensor([30, 60, 90]) / 255, atol=3 / 255, rtol=0)


def test_load_image_as_uint8_gives_the_same_pixels_in_a_quarter_of_the_memory(tmp_path):
    path = tmp_path / "p.png"
    torch.manual_seed(0)
    dreamlib.save_image(torch.rand(1, 3, 30, 50), path)
    floats = dreamlib.load_image(path, max_size=None)
    pixels = dreamlib.load_image(path, max_size=None, dtype=torch.uint8)
    assert pixels.dtype == torch.uint8 and pixels.shape == floats.shape
    assert torch.equal(pixels.float() / 255, floats)
    shrunk = dreamlib.load_image(path, max_size=20, dtype=torch.uint8)
    assert torch.equal(shrunk.float() / 255, dreamlib.load_image(path, max_size=20))
    assert torch.equal(dreamlib.load_image(floats, dtype=torch.uint8), pixels)  # tensors too
    with pytest.raises(dreamlib.DreamError, match="torch.float32 or torch.uint8"):
        dreamlib.load_image(path, dtype=torch.float16)


@pytest.mark.parametrize("size", [(20, 31), (90, 70), (45, 120)])
def test_large_images_resize_a_channel_at_a_time_to_the_same_numbers(monkeypatch, size):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 45, 61)
    expected = dreamlib.resize(x, size)
    monkeypatch.setattr(images_mod, "LARGE", 0)
    assert torch.equal(dreamlib.resize(x, size), expected)
