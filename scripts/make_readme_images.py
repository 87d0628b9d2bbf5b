"""Make the README's and the docs' pictures with the self-trained shapes models, offline.

The picture the README opens with is made by ``shapes_dreamer`` (the photo dreamer of ``make demo``); the others by
``shapes``, the model lessons 09-20 use.

``python scripts/make_readme_images.py`` makes them all (about half an hour on 2 CPU cores);
``python scripts/make_readme_images.py hero`` only the picture the README and the docs' home page open with.
"""

import sys
import tempfile
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageFont

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


def grid(images: torch.Tensor, columns: int = 10, pad: int = 0) -> Image.Image:
    """A grid of (N, 3, H, W) pictures, ``columns`` to a row, ``pad`` white pixels between them."""
    n, _, h, w = images.shape
    rows = (n + columns - 1) // columns
    out = Image.new("RGB", (columns * (w + pad), rows * (h + pad)), "white")
    for k in range(n):
        out.paste(dl.tensor_to_pil(images[k : k + 1]), ((k % columns) * (w + pad), (k // columns) * (h + pad)))
    return out


def hero(model: torch.nn.Module, height: int = 160) -> Image.Image:
    """The picture the README opens with: a bundled photo, its dream, a class rendered from noise, a video still."""
    photo = dl.sample_image("chelsea", max_size=384)  # as `make demo`
    dreamed = dl.dream(model, photo, seed=0, progress=False)  # the model's own layer and settings, as `make demo`
    eyes = dl.render(model, dl.class_logit(0), size=160, seed=0, progress=False)
    p = dl.class_probabilities(model, eyes)[0]
    with tempfile.TemporaryDirectory() as tmp:
        clip = dl.video.sample_clip(Path(tmp) / "pan.mp4", "pan", photo="chelsea", frames=12, size=(240, 160))
        report = dl.dream_video(model, clip, Path(tmp) / "dreamed.mp4", "conv4", progress=False)
        still = list(dl.video.read_frames(report.path, report.size))[-1]
    still = torch.from_numpy(still.copy()).permute(2, 0, 1)[None].float() / 255
    print(
        f"hero: chelsea dreamed on {model.default_layer} with {model.recipe}; 'eyes' rendered, p {p:.2f}; "
        f"video frame {report.frames} of {report.frames}, flicker {report.flicker:.4f} "
        f"(undreamed {report.source_flicker:.4f})"
    )
    titles = ["a bundled photo", "its dream (conv6)", '"eyes" from noise', "a dreamed video's frame"]
    try:
        font = ImageFont.load_default(size=15)  # Pillow >= 10.1: a scalable font, readable on a phone
    except TypeError:
        font = ImageFont.load_default()
    tiles = []
    for im, title in zip([photo, dreamed, eyes, still], titles):
        pil = dl.tensor_to_pil(im)
        pil = pil.resize((round(pil.width * height / pil.height), height), Image.LANCZOS)
        canvas = Image.new("RGB", (pil.width, height + 22), "white")
        canvas.paste(pil, (0, 22))
        ImageDraw.Draw(canvas).text((3, 2), title, fill="black", font=font)
        tiles.append(canvas)
    out = Image.new("RGB", (sum(t.width for t in tiles) + 6 * (len(tiles) - 1), tiles[0].height), "white")
    x = 0
    for t in tiles:
        out.paste(t, (x, 0))
        x += t.width + 6
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    hero(dl.load_model("shapes_dreamer")).save(OUT / "hero.jpg", quality=88)  # the photo dreamer of `make demo`
    model = dl.load_model("shapes")
    if sys.argv[1:] == ["hero"]:
        sys.exit(0)
    photo = dl.sample_image("coffee", max_size=256)
    layers = {
        layer: dl.dream(model, photo, layer, octaves=3, steps=20, lr=0.02, seed=0, progress=False)
        for layer in model.depth_layers
    }  # shallow to deep: receptive fields 5, 17, 33, 65 px
    row([photo, *layers.values()], ["original", *layers]).save(OUT / "shapes_layers.png", optimize=True)

    def report(what: str, images: torch.Tensor) -> None:
        """The numbers the README quotes: the model's top-1 hits and p of each class, high-frequency energy."""
        with torch.no_grad():
            probs = torch.softmax(model(images), 1)
        k = torch.arange(len(images))
        hf = dl.high_frequency_energy(images)
        print(
            f"{what}: top-1 {int((probs.argmax(1) == k).sum())}/{len(k)}, p {probs[k, k].min():.2f}-"
            f"{probs[k, k].max():.2f} (mean {probs[k, k].mean():.2f}); high-frequency energy "
            + " ".join(f"{name} {v:.3f}" for name, v in zip(dl.shapes.CLASSES, hf.tolist()))
            + f" (mean {hf.mean():.3f})"
        )

    # Class dreams from grey (plain pixel steps), titled with the model's p and the independent judge's verdict.
    judge = dl.shapes.judge()
    grey = torch.full((1, 3, 64, 64), 0.5)
    dreams, titles = [], []
    for i, name in enumerate(dl.shapes.CLASSES):
        d = dl.dream(model, grey, objective=dl.class_logit(i), progress=False, **dl.shapes.CLASS_DREAM)
        dreams.append(d)
        seen = dl.shapes.CLASSES[int(dl.shapes.verdicts(judge, d))]
        titles.append(f"{name} {dl.class_probabilities(model, d)[i]:.0%}" + ("" if seen == name else f" ({seen}?)"))
    row(dreams, titles, height=120).save(OUT / "shapes_classes.png", optimize=True)

    # Lesson 11: the same photo dreamed on conv6 by the balanced model and by its twin trained on 45% dog faces;
    # the title gives the share of its 48x48 patches the robust and the ordinary judge call dogs.
    skewed = dl.load_model("shapes", weights="skewed")
    judges = (judge, dl.shapes.judge("ordinary"))
    pair, titles = [photo], ["original"]
    for name, m in (("balanced", model), ("45% dogs", skewed)):
        d = dl.dream(m, photo, "conv6", octaves=2, steps=15, lr=0.02, seed=0, progress=False)
        pair.append(d)
        said = " / ".join(f"{dl.shapes.dog_share(j, [d]):.0%}" for j in judges)
        titles.append(f"{name}: the judges see dogs in {said}")
    row(pair, titles).save(OUT / "shapes_bias.png", optimize=True)

    # Every class rendered with param="fft" (top) and "pixel" (bottom), 128 px, render's defaults otherwise.
    classes = dl.class_logit(list(range(len(dl.shapes.CLASSES))))
    fft = dl.render(model, classes, batch=10, size=128, seed=0, progress=False)
    pixel = dl.render(model, classes, batch=10, param="pixel", size=128, seed=0, progress=False)
    grid(torch.cat([fft, pixel])).save(OUT / "render_fft_vs_pixel.jpg", quality=90)
    report("render 128 px, fft", fft)
    report("render 128 px, pixel", pixel)
    # fft, maco, maco faded by its attribution map, and the map (README: MACO)
    maco, maps = dl.render_attribution(
        model, classes, batch=10, param="maco", size=128, steps=64, seed=0, progress=False
    )
    fft64 = dl.render(model, classes, batch=10, size=128, steps=64, seed=0, progress=False)
    report("render 128 px 64 steps, fft", fft64)
    report("render 128 px 64 steps, maco", maco)
    rows = torch.cat([fft64, maco, maco * maps, maps.expand(-1, 3, -1, -1)])
    grid(rows, pad=4).save(OUT / "render_maco.jpg", quality=90)

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
