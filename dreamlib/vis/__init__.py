"""Feature visualisation (notebooks 09-10): pictures that show what a layer, channel or class responds to.

- :mod:`~dreamlib.vis.render`: :func:`~dreamlib.vis.render.render`, optimising an image from noise.
- :mod:`~dreamlib.vis.param`: how that image is described to the optimiser (pixels, or a decorrelated spectrum).
- :mod:`~dreamlib.vis.transforms`: the random shakes every step sees, so the picture must work from anywhere.
- :mod:`~dreamlib.vis.regularisers`: penalties that keep the picture from turning into noise.
- :mod:`~dreamlib.vis.catalogue`: every channel of a layer, its visualisation beside its top dataset examples (and
  its MACO render and accentuated top example); :mod:`~dreamlib.vis.page` writes them as a web page.
"""
