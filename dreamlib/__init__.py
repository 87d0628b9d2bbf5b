"""dreamlib: how vision networks see, taught step by step: the companion library of the notebook series.

``import dreamlib as dl`` gives every name the lessons use; each one's docstring names the lesson that teaches it.

- 00 first dream:       ``load_model``, ``sample_image``, ``dream``, ``show_grid``
- 01 hooks:             ``capture_activations``, ``forward_until``, ``count_hooks``
- 02 preprocessing:     ``load_image``, ``save_image``, ``resize``, ``DreamModel``
- 03 gradient ascent:   ``normalize_gradient``, ``ascent_step``, ``layer_mean``
- 04 octaves:           ``octave_sizes``, ``dream``, ``Recipe``, ``faster``
- 05 layer comparison:  ``compare_layers``, ``receptive_field``, ``receptive_field_size``
- 06 beyond:            ``channel``, ``neuron``, ``guide``, ``class_logit``, ``zoom``, ``tile_spans``
- 07 optical flow, 08 dreaming in time: ``video`` (``optical_flow``, ``warp``, ``occlusion_mask``), ``dream_video``
- 09 your own dreamer:  ``shapes`` (its world, network and training), ``load_model("shapes")``
- 10 robust dreamers:   ``shapes.l2_attack``, ``shapes.judge``
- 11 why dogs:          ``shapes.ARMS``, ``shapes.twin``, ``shapes.dog_share``, ``top_classes``, ``dog_probability``
- 12, 13 feature visualisation: ``render``, ``Param``, ``diversity``, ``direction``, ``vis`` (``param``,
                        ``transforms``, ``regularisers``)
- 14 MACO, 15 accentuation: ``render(param="maco")``, ``magnitude_spectrum``, ``accentuate``, ``Accentuation``
- 16 neuron catalogue:  ``catalogue``, ``write_catalogue``
- 17, 18 don't trust your eyes: ``fooling``, ``sanity``, ``two_afc``
- 19 which unit sees what: ``shapes.make_batch(parts=True)``, ``dissect``, ``ablate``, ``accuracy_drop``, ``sae``
- 20 how a transformer sees: ``vit`` (patches, tokens as maps, positions, attention maps), ``load_model("vit_b_16")``,
                        ``load_model("shapes_vit")``, ``shapes.cue_conflict``, ``shapes.shape_bias``,
                        ``shapes.silhouettes``

Families live in subpackages: ``vis`` (feature visualisation), ``shapes`` (the network we train), ``video`` (dreams
carried along the optical flow), ``units`` (dissection, ablation, sparse autoencoders), ``io`` (files, downloads,
weights, settings records, folders), ``cli`` (the
``dreamlib`` program), ``fast`` (what ``dl.faster(model)`` does), ``exercises`` (the lessons' checkers).
"""

__version__ = "0.1.0"  # the one source of the version: pyproject.toml and the CLI read it

# Where each name lives. Names load on first use (PEP 562): ``import dreamlib`` stays instant and torch loads
# only when something needs it.
_EXPORTS = {
    "animate": ["save_animation", "zoom", "zoom_in"],
    "ascent": ["ascent_step", "image_gradient", "normalize_gradient", "random_shift"],
    "classes": ["DOG_CLASSES", "class_probabilities", "dog_probability", "top_classes"],
    "compare": ["compare_layers", "per_image_layers", "show_grid"],
    "config": ["pick", "quick_mode", "stopwatch"],
    "device": ["resolve_device"],
    "errors": ["DreamError", "DreamWarning", "ImageLoadError", "NonFiniteError", "WeightsUnavailableError"],
    "fast": ["FastModel", "faster"],
    "fast.precision": ["resolve_precision"],
    "hooks": ["capture_activations", "count_hooks", "forward_until"],
    "images": [
        "list_samples",
        "load_image",
        "resize",
        "sample_image",
        "sample_image_path",
        "save_image",
        "tensor_to_pil",
    ],
    "io.folders": ["dream_folder"],
    "io.records": ["dream_record", "read_record", "rerun_command"],
    "io.weights": ["weights_cache_path"],
    "dream_model": ["DreamModel", "as_dream_model"],
    "models": ["available_models", "list_models", "load_model", "register_model"],
    "objectives": [
        "Objective",
        "as_objective",
        "channel",
        "class_logit",
        "direction",
        "diversity",
        "guide",
        "layer_l2",
        "layer_mean",
        "layers_sum",
        "neuron",
    ],
    "octaves": ["dream"],
    "receptive": ["receptive_field", "receptive_field_size"],
    "recipe": ["Recipe", "StepInfo", "octave_sizes"],
    "tiles": ["tile_spans", "tiled_gradient"],
    "units.ablation": ["Ablation", "ablate", "accuracy_drop"],
    "units.dissection": ["Dissection", "UnitLabel", "dissect"],
    "video.dream": ["dream_video"],
    "vis.accentuate": ["Accentuation", "accentuate"],
    "vis.catalogue": ["catalogue", "write_catalogue"],
    "vis.maco": ["magnitude_spectrum"],
    "vis.param": ["Param", "high_frequency_energy"],
    "vis.render": ["Attributed", "render", "render_attribution"],
}
_MODULES = [
    "animate",
    "ascent",
    "checks",
    "classes",
    "compare",
    "config",
    "device",
    "dream_model",
    "errors",
    "hooks",
    "images",
    "models",
    "objectives",
    "octaves",
    "prepare",
    "receptive",
    "recipe",
    "tiles",
    "vit",
    "cli",
    "exercises",
    "fast",
    "io",
    "shapes",
    "units",
    "vis",
    "video",
]
_SUBMODULES = {
    **{name: name for name in _MODULES},
    "maco": "vis.maco",
    "param": "vis.param",
    "regularisers": "vis.regularisers",
    "transforms": "vis.transforms",
    "fooling": "vis.fooling",
    "sanity": "vis.sanity",
    "two_afc": "vis.two_afc",
    "sae": "units.sae",
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted([*_WHERE, *_SUBMODULES])


def __getattr__(name: str):
    import importlib

    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{_SUBMODULES[name]}", __name__)
    else:
        raise AttributeError(f"module 'dreamlib' has no attribute {name!r}")
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
