"""Issue 11's acceptance test: on the shipped shapes model, every class rendered with the FFT parameterisation
is recognised with p >= 0.9 and carries clearly less high-frequency energy than the same render in pixels.

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
                p = torch.softmax(model(image), 1)[0, k].item()
            out[k, kind] = p, dl.high_frequency_energy(image).item()
    return out


@pytest.mark.parametrize("k", range(10), ids=dl.shapes.CLASSES)
def test_fft_class_render_is_recognised_and_smoother_than_pixels(renders, k):
    p_fft, hf_fft = renders[k, "fft"]
    _, hf_pixel = renders[k, "pixel"]
    assert p_fft >= 0.9
    assert hf_fft < 2 / 3 * hf_pixel
