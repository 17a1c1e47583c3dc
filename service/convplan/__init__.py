"""convplan: shapes, plans and small-tensor numerics for convolutional networks.

Kept tiny on purpose: importing ``convplan`` must not pull in FastAPI, NumPy
or SymPy (the Python client and the CLI import it for the version).
"""

__version__ = "0.1.0"
