"""Measure what issue 20 asks of the shipped shapes dreamer: ``python scripts/measure_transfer.py``.

With the shipped judge (:func:`dreamlib.shapes.judge`, another architecture and seed): its top-1 verdicts on the
dreamer's class dreams (plain pixel steps from a grey 64x64 picture, :data:`dreamlib.shapes.CLASS_DREAM`) and on
its ``render(param="fft")`` renders at 48 and 64 px; how the verdicts move with the dream settings (a small grid,
so one lucky setting is not mistaken for the rule); and the share of 48x48 patches of the balanced and dog-skewed
twins' photo dreams (conv5 and conv6) that the judge calls dogs. Prints one line per measurement.
"""

import itertools

import torch

import dreamlib as dl
from dreamlib import shapes


def hits(judge, pictures):
    verdicts = shapes.verdicts(judge, pictures)
    return int((verdicts == torch.arange(len(verdicts))).sum()), verdicts.tolist()


if __name__ == "__main__":
    torch.set_num_threads(2)
    judge, model = shapes.judge(), dl.load_model("shapes")
    skewed = dl.load_model("shapes", weights="skewed")
    targets = list(range(len(shapes.CLASSES)))

    def dreams(size=64, **settings):
        grey = torch.full((1, 3, size, size), 0.5)
        return torch.cat(
            [dl.dream(model, grey, objective=dl.class_logit(k), progress=False, **settings) for k in targets]
        )

    print("class dreams, CLASS_DREAM:", *hits(judge, dreams(**shapes.CLASS_DREAM)))
    for size in (48, 64):
        renders = dl.render(model, dl.class_logit(targets), batch=len(targets), size=size, seed=0, progress=False)
        print(f"fft renders, {size} px:", *hits(judge, renders))
    counts = {}
    for octaves, steps, lr, jitter in itertools.product((1, 2, 3), (30, 60, 120), (0.01, 0.02), (0, 4, 8)):
        got, _ = hits(judge, dreams(octaves=octaves, steps=steps, lr=lr, jitter=jitter, seed=0))
        counts[got] = counts.get(got, 0) + 1
    print(
        "class dreams over 54 settings (64 px; octaves 1-3, steps 30-120, lr 0.01-0.02, jitter 0-8):",
        ", ".join(f"{k} of 10: {v}" for k, v in sorted(counts.items())),
    )
    photos = [dl.sample_image(name, max_size=160) for name in dl.list_samples()]
    share = lambda pictures: sum(shapes.class_share(judge, shapes.patches(p), "dogs") for p in pictures) / len(pictures)  # noqa: E731
    print(f"photos: the judge calls {share(photos):.0%} of the patches dogs")
    for layer in ("conv5", "conv6"):
        settings = dict(octaves=2, steps=15, lr=0.02, seed=0, progress=False)
        got = [share([dl.dream(m, p, layer, **settings) for p in photos]) for m in (model, skewed)]
        print(f"photo dreams on {layer}: dogs in {got[0]:.0%} (balanced) and {got[1]:.0%} (skewed) of the patches")
