"""The single-page tool served at ``GET /``: static HTML, CSS and vanilla JS (package data, no build step)."""
