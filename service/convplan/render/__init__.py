"""Renderers: the computed results drawn or printed for people (``svg``)."""
