"""State-level evaluation: receiving the municipalities' evaluation packages, checking and
storing them, and comparing the municipalities."""
