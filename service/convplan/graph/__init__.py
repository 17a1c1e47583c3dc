"""The network IR and its one evaluator.

``ir``: nodes with named inputs, validated and topologically ordered; ``evaluate``: one walk into typed
per-node results; ``align``: merges compared and aligned; ``schema``: the `/v1/graph` request body
(``GraphRequest``). `POST /v1/graph` as a library call is ``convplan.run.graph.run_graph``.
"""
