"""Instructors' solutions to the notebook exercises (checked in CI by tests/test_exercises.py).

Paste a function into its exercise cell, or run ``from solutions import *`` from this folder.
"""

import torch


# 01_hooks
def mean_activation(model, image, layer):
    captured = {}
    module = dict(model.named_modules())[layer]
    handle = module.register_forward_hook(lambda m, i, output: captured.update(out=output))
    try:
        with torch.no_grad():
            model(image)
    finally:
        handle.remove()
    return captured["out"].mean().item()


# 02_preprocessing
def normalize(images, mean, std):
    return (images - mean) / std


def denormalize(normalized, mean, std):
    return normalized * std + mean


# 03_gradient_ascent
def normalize_gradient(grad):
    return grad / (grad.abs().mean(dim=(1, 2, 3), keepdim=True) + 1e-8)


# 04_octaves
def octave_sizes(height, width, octaves, scale):
    sizes = [(round(height / scale**i), round(width / scale**i)) for i in range(octaves)]
    return sizes[::-1]


# 05_layer_comparison
def activation_shapes(model, image, layers):
    shapes, handles = {}, []
    modules = dict(model.named_modules())
    for name in layers:
        handles.append(modules[name].register_forward_hook(lambda m, i, o, name=name: shapes.update({name: tuple(o.shape)})))
    try:
        with torch.no_grad():
            model(image)
    finally:
        for h in handles:
            h.remove()
    return shapes


# 06_why_dogs
def top_k(logits, categories, k):
    probs = logits.softmax(dim=1)[0]
    values, indices = probs.topk(k)
    return [(categories[i], p) for p, i in zip(values.tolist(), indices.tolist())]
