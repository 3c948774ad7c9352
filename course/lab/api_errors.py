"""AWS-shaped Lambda API errors, raised inside moto: an HTTP code and AWS's JSON body."""

from __future__ import annotations

import json
from typing import Any


def lambda_error(code: int, error_type: str, message: str, **fields: Any) -> Exception:
    """An AWS-shaped Lambda API error (HTTP `code`, JSON body), raised inside moto."""
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(error_type, message)
    error.code = code
    error.description = json.dumps(
        {"__type": error_type, "Type": "User", "message": message, **fields}
    )
    return error
