"""Schemathesis against the app in process (ASGI), every operation.

Positive and negative cases generated from the OpenAPI document the app
serves; every response must be no server error, conform to the documented
status codes, content types and schemas, and reject invalid data (4xx).
The suite runs a bounded number of examples per operation
(``CONVPLAN_FUZZ_EXAMPLES``, default 20); ``python scripts/fuzz --examples N``
runs the same test deeper.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from convplan.api.symbolic import close_symbolic_pool
from convplan.app import create_app
from convplan.settings import Settings

EXAMPLES = int(os.environ.get("CONVPLAN_FUZZ_EXAMPLES", "20"))
SEED = os.environ.get("CONVPLAN_FUZZ_SEED")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

APP = create_app(Settings.model_construct())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES)


@pytest.fixture(scope="module", autouse=True)
def _stop_symbolic_workers() -> Iterator[None]:
    yield
    close_symbolic_pool(APP)


@schema.parametrize()
@seed(int(SEED) if SEED is not None else 0)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None and EXAMPLES <= 50,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
