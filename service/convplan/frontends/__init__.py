"""Frontends: other formats (ONNX models) turned into /v1/graph request bodies."""
