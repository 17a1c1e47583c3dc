"""SVG pictures of the analyses: standalone SVG 1.1 documents, pure Python.

``plan_svg`` (a ``/v1/plan`` result as the U-Net figure), ``graph_svg`` (a
``/v1/graph`` result, or the ``analysis`` of ``/v1/import/onnx``, as a
layered DAG) and ``conv_transpose_svg`` (a ``/v1/compute/conv_transpose``
result with ``explain`` as convolution-arithmetic panels).
"""

from convplan.render.svg._doc import SVG_MEDIA_TYPE
from convplan.render.svg.conv_transpose import conv_transpose_svg
from convplan.render.svg.graph import graph_svg
from convplan.render.svg.plan import plan_svg

__all__ = ["SVG_MEDIA_TYPE", "conv_transpose_svg", "graph_svg", "plan_svg"]
