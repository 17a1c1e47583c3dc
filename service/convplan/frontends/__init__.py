"""Frontends: each builds a ``convplan.graph.Graph`` from what the user sent (a /v1/graph body, a stack, an
encoder/decoder, an imported model)."""
