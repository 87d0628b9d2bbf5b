"""Issue 11's acceptance test: on the shipped shapes model, every class rendered with the FFT parameterisation
is recognised (the model's top class; p >= 0.9 for all but eyes) and carries clearly less high-frequency energy
than the same render in pixels.

Eyes is the exception, measured: its FFT renders are the top class but with p 0.63-0.98 depending on the seed and
on float rounding (seeds 0-3: 0.78, 0.63, 0.63, 0.65 on one CPU; 0.99 and 0.98 for seed 0 with other rounding),
the rest going mostly to triangles. Asking p >= 0.9 of it would test luck, not the renderer.
Numbers measured with these exact settings (render's defaults, seed 0) are in lesson 09 and the README.
"""

import pytest
import torch

import dreamlib as dl


@pytest.fixture(scope="module")
def renders():
    model = dl.load_model("shapes")
    out = {}
    for k in range(len(dl.shapes.CLASSES)):
        for kind in ("fft", "pixel"):
            image = dl.render(model, dl.class_logit(k), param=kind, seed=0, progress=False)
            with torch.no_grad():
                probs = torch.softmax(model(image), 1)[0]
            out[k, kind] = probs[k].item(), dl.high_frequency_energy(image).item(), probs.argmax().item()
    return out


@pytest.mark.parametrize("k", range(10), ids=dl.shapes.CLASSES)
def test_fft_class_render_is_recognised_and_smoother_than_pixels(renders, k):
    p_fft, hf_fft, top = renders[k, "fft"]
    _, hf_pixel, _ = renders[k, "pixel"]
    assert top == k
    assert p_fft >= (0.5 if dl.shapes.CLASSES[k] == "eyes" else 0.9)
    assert hf_fft < 2 / 3 * hf_pixel
