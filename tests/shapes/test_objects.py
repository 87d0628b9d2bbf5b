"""How the shapes world draws its things (dreamlib/shapes/objects.py, lesson 09)."""

import math

import pytest
import torch

from dreamlib.shapes import objects
from dreamlib.shapes.data import CLASSES, PALETTE

SIZE = 48


def grid(n: int = 1, half: float = 3.0, pixels: int = 61) -> objects.Frame:
    """An upright frame: u, v run from -half to +half over ``pixels`` pixels (no tilt, no mirror)."""
    line = torch.linspace(-half, half, pixels)
    v, u = torch.meshgrid(line, line, indexing="ij")
    return objects.Frame(u.expand(n, -1, -1), v.expand(n, -1, -1), torch.full((n, 1, 1), (pixels - 1) / (2 * half)))


def at(distance: torch.Tensor, u: float, v: float, half: float = 3.0, pixels: int = 61) -> float:
    step = 2 * half / (pixels - 1)
    return float(distance[0, round((v + half) / step), round((u + half) / step)])


def test_signed_distances_are_negative_inside_and_measure_the_gap_outside():
    f = grid()
    circle = objects.ellipse(f, 0.0, 0.0, 1.0, 1.0)
    assert at(circle, 0, 0) == pytest.approx(-1.0) and at(circle, 2, 0) == pytest.approx(1.0, abs=1e-6)
    square = objects.box(f, 0.0, 0.0, 1.0, 1.0)
    assert at(square, 0, 0) == pytest.approx(-1.0) and at(square, 2, 0) == pytest.approx(1.0, abs=1e-6)
    assert at(square, 2, 2) == pytest.approx(math.sqrt(2), abs=1e-5)  # to the corner
    line = objects.segment(f, -1.0, 0.0, 1.0, 0.0, width=0.5)
    assert at(line, 0, 1) == pytest.approx(0.75, abs=1e-6) and at(line, 2, 0) == pytest.approx(0.75, abs=1e-6)
    triangle = objects.polygon(f, [(0.0, -1.0), (1.0, 1.0), (-1.0, 1.0)])  # corners in any order
    assert at(triangle, 0, 0.5) < 0 and at(triangle, 0, 2) == pytest.approx(1.0, abs=1e-6)
    assert at(triangle, 0.9, -0.5) > 0  # beside the apex, outside a slanted edge
    # the same in a frame that frame() placed: centred, upright, unit stretch, one unit = 12 px
    f = objects.frame(1, SIZE, lambda k: torch.full((k, 1, 1), 0.5), (0.25, 0.25))
    centre, corner = (24, 24), (0, 0)
    for shape in (
        objects.ellipse(f, 0.0, 0.0, 0.5, 0.3),
        objects.box(f, 0.0, 0.0, 0.5, 0.3, round_=0.1),
        objects.polygon(f, [(-0.5, 0.3), (0.5, 0.3), (0.0, -0.5)]),
        objects.segment(f, -0.5, 0.0, 0.5, 0.0, 0.2),
    ):
        assert shape[0][centre] < 0 < shape[0][corner]
    ring = objects.ellipse(f, 0.0, 0.0, 1.0, 1.0)[0]  # a circle of 12 px radius about the point (24, 24)
    ys, xs = torch.meshgrid(torch.arange(SIZE) + 0.5, torch.arange(SIZE) + 0.5, indexing="ij")
    assert torch.allclose(ring, ((ys - 24) ** 2 + (xs - 24) ** 2).sqrt() / 12 - 1, atol=1e-5)


def test_paint_covers_the_inside_and_softens_only_the_edge():
    f = grid()
    canvas = torch.zeros(1, 3, 61, 61)
    out = objects.paint(canvas, f, objects.ellipse(f, 0.0, 0.0, 1.5, 1.5), torch.ones(1, 3, 1, 1))
    assert out[0, :, 30, 30].eq(1).all() and out[0, :, 0, 0].eq(0).all()
    soft = out[0, 0][(out[0, 0] > 0) & (out[0, 0] < 1)]
    assert 0 < len(soft) < 2 * math.pi * 1.5 * 10 * 1.5  # a one-pixel ring, about the circumference long
    labelled = objects.paint(
        torch.cat([canvas, torch.zeros(1, 1, 61, 61)], 1),
        f,
        objects.ellipse(f, 0, 0, 1.5, 1.5),
        torch.ones(1, 3, 1, 1),
        "nose",
    )
    assert torch.equal(labelled[:, :3], out)  # a label channel changes nothing in the colours
    nose = objects.PARTS.index("nose")
    assert labelled[0, 3, 30, 30] == nose and labelled[0, 3, 0, 0] == 0  # and marks the shape's inside


def test_frames_keep_the_object_inside_the_picture():
    g = torch.Generator().manual_seed(0)
    f = objects.frame(500, SIZE, lambda k: torch.rand(k, 1, 1, generator=g), (0.22, 0.42))
    centre = (f.u.abs() + f.v.abs()).flatten(1).argmin(1)  # the pixel at the object's origin
    ys, xs = centre // SIZE, centre % SIZE
    reach = (0.9 * f.scale.flatten()).floor()
    assert (ys >= reach - 1).all() and (ys <= SIZE - reach).all() and (xs >= reach - 1).all()
    assert (xs <= SIZE - reach).all()
    pixels = f.scale.flatten() / SIZE
    assert pixels.min() >= 0.22 and pixels.max() <= 0.42


@pytest.mark.parametrize("name", CLASSES)
def test_every_class_draws_a_thing_of_its_own_inside_the_picture(name):
    n = 16
    g = torch.Generator().manual_seed(1)
    rand = lambda k: torch.rand(k, 1, 1, generator=g)  # noqa: E731
    grey = torch.full((n, 3, SIZE, SIZE), 0.5)
    palette = {key: torch.rand(n, 3, 1, 1, generator=g) for key in PALETTE}
    f = objects.frame(n, SIZE, rand, objects.SCALES.get(name, objects.DEFAULT_SCALE))
    drawn = objects.DRAW[name](grey.clone(), f, palette, rand, n)
    assert drawn.shape == grey.shape and torch.isfinite(drawn).all()
    changed = (drawn - grey).abs().amax(1) > 0.02
    share = changed.flatten(1).float().mean(1)
    assert (share > 0.03).all() and (share < 0.9).all(), share  # something, never the whole picture
    assert not changed[:, [0, -1], :].all() and not changed[:, :, [0, -1]].all()
    assert set(objects.DRAW) == set(CLASSES)
    # at one fixed size (0.3 of the picture), with the class's own seed: visible, never all, inside [0, 1]
    g = torch.Generator().manual_seed(CLASSES.index(name))
    rand = lambda m: torch.rand(m, 1, 1, generator=g)  # noqa: E731
    palette = {part: torch.rand(n, 3, 1, 1) for part in PALETTE}
    drawn = objects.DRAW[name](grey.clone(), objects.frame(n, SIZE, rand, (0.3, 0.3)), palette, rand, n)
    covered = ((drawn - grey).abs().sum(1) > 0.05).float().mean((1, 2))
    assert ((covered > 0.08) & (covered < 0.95)).all(), (name, covered)
    assert 0 <= drawn.min() and drawn.max() <= 1


@pytest.mark.parametrize("name", CLASSES)
def test_every_part_a_class_lists_is_drawn_and_nothing_else(name):
    n, size = 24, 96
    g = torch.Generator().manual_seed(5)
    rand = lambda k: torch.rand(k, 1, 1, generator=g)  # noqa: E731
    palette = {part: torch.rand(n, 3, 1, 1, generator=g) for part in PALETTE}
    canvas = torch.zeros(n, 4, size, size)
    f = objects.frame(n, size, rand, (0.3, 0.45))
    drawn = objects.DRAW[name](canvas, f, palette, rand, n)[:, 3].round().long()
    seen = {objects.PARTS[i] for i in drawn.unique().tolist()} - {"background"}
    assert seen == set(objects.CLASS_PARTS[name])
