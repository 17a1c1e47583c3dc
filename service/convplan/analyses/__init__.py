"""Analyses over an evaluated graph: merges and their culprits, valid input sizes, receptive fields (functions
of evaluated networks, above the ops and the evaluator)."""
