"""Feature visualisation (notebooks 12-18): pictures that show what a layer, channel or class responds to.

- :mod:`~dreamlib.vis.render`: :func:`~dreamlib.vis.render.render`, optimising an image from noise.
- :mod:`~dreamlib.vis.param`: how that image is described to the optimiser (pixels, or a decorrelated spectrum);
  :mod:`~dreamlib.vis.colour`: the decorrelated colours it and MACO use.
- :mod:`~dreamlib.vis.transforms`: the random shakes every step sees, so the picture must work from anywhere.
- :mod:`~dreamlib.vis.regularisers`: penalties that keep the picture from turning into noise.
- :mod:`~dreamlib.vis.catalogue`: every channel of a layer, its visualisation beside its top dataset examples (and
  its MACO render and accentuated top example); :mod:`~dreamlib.vis.page` writes them as a web page.
- :mod:`~dreamlib.vis.maco` and :mod:`~dreamlib.vis.accentuate`: after Lucid, MACO's phase-only renders and feature
  accentuation of a photo (notebook 15).
- :mod:`~dreamlib.vis.fooling`, :mod:`~dreamlib.vis.sanity`, :mod:`~dreamlib.vis.two_afc`: when not to trust a
  visualisation: a fooling circuit, a sanity check, a forced-choice test (notebooks 17-18).
"""
