"""The bounds of the disclosure threshold, free of pandas so the command line starts fast."""

DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 2
"""Below 2 no count would be suppressed."""

SUPPRESSION = "sperrung"
CELL_KEY = "cell-key"
METHODS = (SUPPRESSION, CELL_KEY)
"""Disclosure control of a publication: cell suppression or the Cell Key Method."""
