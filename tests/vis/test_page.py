"""The catalogue page (dreamlib/vis/page.py, lesson 16): its cards, pictures and atomic writing. The browser opens
one in tests/cli/test_render.py."""

import re

import pytest
import torch

import dreamlib as dl
from dreamlib.vis.catalogue import ChannelEntry
from dreamlib.vis.page import MARKER, check_output_dir, write_catalogue


def entry(index: int, extras: bool = True) -> ChannelEntry:
    """A hand-made entry: the page only shows what it is given."""
    g = torch.Generator().manual_seed(index)

    def picture(side: int = 24) -> torch.Tensor:
        return torch.rand(3, side, side, generator=g)

    e = ChannelEntry(index, picture(), [picture(16), picture(16)], [2.0, 1.5], 3.0)
    if extras:
        ramp = torch.linspace(0, 1, 24).expand(1, 24, 24).clone()
        e.maco, e.attribution, e.maco_rendered = picture(), ramp, 2.5
        e.accentuated, e.accent_before, e.accent_after = picture(16), 2.0, 2.75
    return e


def sources(page) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page.read_text())


def test_page_is_written_whole_and_only_over_an_earlier_catalogue(tmp_path):
    entries = [entry(0, extras=False), entry(1, extras=False)]
    page = write_catalogue(entries, tmp_path / "cat")
    text = page.read_text()
    assert MARKER in text and 'name="viewport"' in text
    assert len(sources(page)) == 2 * (1 + 2) and all((page.parent / s).is_file() for s in sources(page))
    assert 'class="extras"' not in text and "MACO" not in text  # nothing announced that is not there
    write_catalogue(entries, tmp_path / "cat")  # an earlier catalogue may be replaced
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(dl.DreamError, match="not empty and holds no earlier catalogue"):
        write_catalogue(entries, tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"
    with pytest.raises(dl.DreamError, match="is a file"):
        check_output_dir(tmp_path / "other" / "notes.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat", "other"]  # no temporary folder left behind


def test_each_card_shows_the_maco_render_its_map_and_the_accentuated_top_example(tmp_path):
    page = write_catalogue([entry(3), entry(7)], tmp_path / "cat")
    text = page.read_text()
    found = sources(page)
    assert len(found) == 2 * (1 + 2 + 4) and all((page.parent / s).is_file() for s in found)
    card = text.split('data-index="3"')[1].split('data-index="7"')[0]
    for name in ("channel0003_maco.png", "channel0003_attribution.png", "channel0003_accentuated.png"):
        assert f'src="images/{name}"' in card
    assert card.count('src="images/channel0003_example0.png"') == 2  # in the examples and beside its accentuation
    assert "MACO render: 2.50" in card and "where the gradient fell over the run" in card
    assert "accentuated: 2.00 &rarr; 2.75" in card and 'data-maco="2.5"' in card
    assert "Fel et al., NeurIPS 2023" in text and "Hamblin, Fel et al. 2024" in text  # the legend says what they are
    assert '<button data-key="maco">' in text
    grey = dl.load_image(page.parent / "images" / "channel0003_attribution.png", max_size=None)
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])  # one map, in grey
    assert grey.max() == 1.0 and grey.min() == 0.0
