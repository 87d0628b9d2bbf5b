"""Make MACO's shipped magnitude template (offline): ``python scripts/make_spectra.py``.

Writes ``dreamlib/vis/spectra/photos.pt`` (the bundled photos' average magnitude spectrum), float16, (3, 256, 129),
with :func:`dreamlib.vis.maco.make_template`. ``tests/vis/test_maco.py`` fails when the shipped file no longer matches
what this makes (after a change to the photos or the recipe): run it again then.
"""

import torch

from dreamlib.vis.maco import SPECTRA, make_template

if __name__ == "__main__":
    SPECTRA.mkdir(exist_ok=True)
    for name in ("photos",):
        template = make_template(name)
        torch.save(template.half().clone(), SPECTRA / f"{name}.pt")
        print(f"{SPECTRA / name}.pt: {tuple(template.shape)}, mean magnitude {template.mean():.4f}")
