"""Renderers: typed results to the API's JSON (and, for the CLI, tables)."""
