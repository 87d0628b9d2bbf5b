"""Which unit sees what (notebook 19): checking what a network's units detect against ground truth.

- :mod:`~dreamlib.units.dissection`: network dissection (Bau et al. 2017), the IoU of each unit's strongest
  activations with each labelled part (``dl.dissect``).
- :mod:`~dreamlib.units.ablation`: switching units off and measuring what each class loses (Bau et al. 2020;
  ``dl.ablate``, ``dl.accuracy_drop``).
- :mod:`~dreamlib.units.sae`: sparse autoencoders, whose features are directions used like channels (``dl.sae``).

A unit is a layer's channel, or a feature of a sparse autoencoder trained on that layer.
"""
