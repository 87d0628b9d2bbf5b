"""Atomic writes (dreamlib/io/files.py)."""

import os

import pytest
from PIL import Image

import dreamlib
from dreamlib import save_image


def test_save_is_atomic_when_writing_fails(tmp_path, image, monkeypatch):
    target = tmp_path / "keep.png"
    target.write_bytes(b"old contents")

    def broken_save(self, fp, format=None, **kw):
        with open(fp, "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_image(image, target)
    assert target.read_bytes() == b"old contents"
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]  # no temp file left


def test_save_into_an_unwritable_place_is_a_clear_error(tmp_path, image):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(dreamlib.DreamError, match="cannot write"):
        save_image(image, tmp_path / "afile" / "out.png")
