"""Make the README's pictures with the self-trained shapes model (offline): ``python scripts/make_readme_images.py``."""

from pathlib import Path

import torch
from PIL import Image, ImageDraw

import dreamlib as dl

OUT = Path(__file__).resolve().parent.parent / "docs" / "images"


def row(images, titles, height=160):
    tiles = []
    for im, title in zip(images, titles):
        pil = dl.tensor_to_pil(im)
        pil = pil.resize(
            (round(pil.width * height / pil.height), height), Image.NEAREST if pil.height < height else Image.LANCZOS
        )
        canvas = Image.new("RGB", (pil.width, height + 22), "white")
        canvas.paste(pil, (0, 22))
        ImageDraw.Draw(canvas).text((4, 4), title, fill="black")
        tiles.append(canvas)
    out = Image.new("RGB", (sum(t.width for t in tiles) + 6 * (len(tiles) - 1), tiles[0].height), "white")
    x = 0
    for t in tiles:
        out.paste(t, (x, 0))
        x += t.width + 6
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    model = dl.load_model("shapes")
    photo = dl.sample_image("coffee", max_size=256)
    layers = {
        layer: dl.dream(model, photo, layer, octaves=3, steps=20, lr=0.02, seed=0, progress=False)
        for layer in model.depth_layers
    }  # shallow to deep: receptive fields 5, 17, 33, 65 px
    row([photo, *layers.values()], ["original", *layers]).save(OUT / "shapes_layers.png", optimize=True)

    torch.manual_seed(0)
    noise = torch.rand(1, 3, 64, 64)
    dreams, titles = [], []
    for i, name in enumerate(dl.shapes.CLASSES):
        d = dl.dream(model, noise, objective=dl.class_logit(i), octaves=2, steps=40, lr=0.05, seed=0, progress=False)
        dreams.append(d)
        titles.append(f"{name} {dl.class_probabilities(model, d)[i]:.0%}")
    row(dreams, titles, height=120).save(OUT / "shapes_classes.png", optimize=True)

    # Lesson 06: the same photo dreamed by the balanced model and by its twin trained on 45% eyes.
    skewed = dl.load_model("shapes", weights="skewed")
    eyes = dl.shapes.CLASSES.index("eyes")
    pair, titles = [photo], ["original"]
    for name, m in (("balanced", model), ("45% eyes", skewed)):
        d = dl.dream(m, photo, m.default_layer, octaves=3, steps=20, lr=0.02, seed=0, progress=False)
        pair.append(d)
        titles.append(f"{name}: eyes {dl.class_probabilities(m, d)[eyes]:.0%}")
    row(pair, titles).save(OUT / "shapes_bias.png", optimize=True)

    frames = dl.zoom(
        model,
        dl.sample_image("coffee", max_size=160),
        frames=24,
        zoom=1.08,
        layer=model.default_layer,
        steps=6,
        lr=0.02,
        progress=False,
    )
    dl.save_animation(frames, OUT / "shapes_zoom.gif", fps=8)
    print("wrote", *sorted(p.name for p in OUT.iterdir()))
