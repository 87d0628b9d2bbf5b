"""How should ``shapes_dreamer`` dream a photo? ``python scripts/dream_settings.py``

Dreams the five bundled photos (longest side 384 px, as ``make demo``) on conv6 with several octave scales and step
counts, three seeds each, and prints for each setting two numbers:

- **objects**: the share of the dreams' 48x48 patches (half a patch apart, :func:`dreamlib.shapes.patches`) that both
  shipped judges — networks that did not make the dream, of different architectures and training — name as one and
  the same object of the shapes world with p >= 0.9 each, stripes left out (a texture, not an object: the rings of
  colour around every dreamed thing are called stripes). The photos themselves: about 2%.
- **change**: the mean absolute pixel change from the photo (how much of the photo is left).

Its output chose :data:`dreamlib.shapes.net.DREAMER_DREAM`, the settings ``load_model("shapes_dreamer")`` dreams
with unless told otherwise (``make demo``, the command line, the lessons on the offline path). The table is in
docs/results.md ("Photo dreams: the dreamer's own settings"). Offline; about ten minutes on a 2-core CPU.
"""

from __future__ import annotations

import itertools

import torch

import dreamlib as dl
from dreamlib.shapes import CLASSES, patches

SCALES = (1.4, 1.6, 2.0)
STEPS = (10, 15, 20)
SEEDS = (0, 1, 2)


def named_objects(judges, pictures) -> float:
    """The share of the pictures' patches that every judge names as the same class (not stripes) with p >= 0.9."""
    named = total = 0
    for picture in pictures:
        x = patches(picture)
        with torch.no_grad():
            probs = [judge(x).softmax(1) for judge in judges]
        top = probs[0].argmax(1)
        sure = torch.stack([(p.argmax(1) == top) & (p.max(1).values >= 0.9) for p in probs]).all(0)
        named += int((sure & (top != CLASSES.index("stripes"))).sum())
        total += len(x)
    return named / total


def main() -> None:
    judges = [dl.shapes.judge(), dl.shapes.judge("ordinary")]
    model = dl.load_model("shapes_dreamer")
    photos = [dl.sample_image(name, max_size=384) for name in dl.list_samples()]
    print(f"the photos themselves: objects {named_objects(judges, photos):.1%}")
    print("octave scale | steps | objects (mean, min-max over 3 seeds) | change")
    for scale, steps in itertools.product(SCALES, STEPS):
        objects, change = [], []
        for seed in SEEDS:
            dreams = [
                dl.dream(model, p, "conv6", octaves=4, octave_scale=scale, steps=steps, seed=seed, progress=False)
                for p in photos
            ]
            objects.append(named_objects(judges, dreams))
            change.append(sum(float((d - p).abs().mean()) for d, p in zip(dreams, photos)) / len(photos))
        mean = sum(objects) / len(objects)
        spread = f"{mean:.1%} ({min(objects):.1%}-{max(objects):.1%})"
        print(f"{scale:12} | {steps:5} | {spread:36} | {sum(change) / len(change):.3f}", flush=True)


if __name__ == "__main__":
    main()
