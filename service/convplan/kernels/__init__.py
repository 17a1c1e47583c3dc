"""NumPy kernels on batched float64 arrays ``(N, C, *spatial)``: the array work of the compute ops.

The lowest layer with the expression language: no parameter checking and no
sizes of their own (both come from the ops' size rules, which call these
kernels through their ``kernel`` entry).
"""
