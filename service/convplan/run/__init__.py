"""The library calls behind the endpoints: request model in, JSON-ready dict out (no HTTP here)."""
