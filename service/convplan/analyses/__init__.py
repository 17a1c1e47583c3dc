"""Analyses over an evaluated graph: merges and their culprits, valid input sizes, receptive fields."""
