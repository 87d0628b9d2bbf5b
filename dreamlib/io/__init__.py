"""Files in and out, safely: downloads, the weights cache, settings records, whole folders, atomic writes.

- :mod:`~dreamlib.io.download`: fetching an image over http(s) without trusting the server (notebook 02).
- :mod:`~dreamlib.io.weights`: the torch-hub weights cache, checked before use (notebook 01; docs/offline.md).
- :mod:`~dreamlib.io.records`: the settings every dreamed PNG carries, and the command that re-makes it (04).
- :mod:`~dreamlib.io.folders`: dreaming a whole folder, resumably (04).
- :mod:`~dreamlib.io.files`: a finished file or none (every writer uses it).
"""
