"""Renderers: the language's own text, LaTeX, and index notation."""
