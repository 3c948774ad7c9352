"""Lambda layers: published with `publish_layer_version`, attached with a function's `Layers`.

moto stores layer versions and a function's `Layers` list; this module makes them work:

- `install()` enforces AWS's limits on create, configuration update and code update: at most
  `layers.max_per_function` layers, and the function's code plus its layers, unzipped, at most
  `package.unzipped_max_mb` (facts file), with AWS's InvalidParameterValueException messages.
- `mount(fn, root)` extracts a function's layers, in order (a later layer's file replaces an
  earlier one's), into one folder per list of layers. Where the sandbox has namespaces
  (course.lab.sandbox), the environment sees that folder at `/opt`, read-only, as on AWS; at
  the "rlimits" level it cannot mount, and the folder's host path is used instead, also given
  in the environment variable `LAMBDA_OPT` (a lab addition, not AWS's).
  As AWS documents for Python, `python` and `python/lib/pythonX.Y/site-packages` in it go on
  `sys.path` after the function's own folder; `bin` goes on PATH and `lib` on LD_LIBRARY_PATH.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import threading
import zipfile
from collections.abc import Callable
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend

from course.facts import fact

BYTES_PER_MB = 1024 * 1024
_originals: dict[str, Callable[..., Any]] = {}
_extract_lock = threading.Lock()


def install() -> None:
    """Check layer counts and unzipped sizes on every create and update (idempotent)."""
    if _originals:
        return
    for name in ("create_function", "update_function_configuration", "update_function_code"):
        _originals[name] = getattr(LambdaBackend, name)
    LambdaBackend.create_function = _create_function
    LambdaBackend.update_function_configuration = _update_function_configuration
    LambdaBackend.update_function_code = _update_function_code


def unzipped_bytes(archive: bytes) -> int:
    """The size of a .zip archive's files once extracted."""
    if not archive:
        return 0
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return sum(info.file_size for info in opened.infolist())


def layer_versions(backend: LambdaBackend, arns: list[str]) -> list[Any]:
    """moto's layer versions for a list of layer version ARNs (the order kept)."""
    return [backend.layers_versions_by_arn(arn) for arn in arns]


def check(backend: LambdaBackend, code: bytes | None, arns: list[str]) -> None:
    """Raise InvalidParameterValueException when AWS would refuse these layers or sizes."""
    most = fact("layers.max_per_function")
    if len(arns) > most.value:
        raise InvalidParameterValueException(
            f"Cannot reference more than {most.value} layers. ({len(arns)} given; "
            f"layers.max_per_function in the course facts file: {most.cite()}.)"
        )
    if code is None:  # a container image: no .zip to measure
        return
    versions = [v for v in layer_versions(backend, arns) if v is not None]
    total = unzipped_bytes(code) + sum(unzipped_bytes(v.code_bytes) for v in versions)
    limit = fact("package.unzipped_max_mb")
    if total > limit.value * BYTES_PER_MB:
        raise InvalidParameterValueException(
            "Function code combined with layers exceeds the maximum allowed size of "
            f"{limit.value * BYTES_PER_MB} bytes. The actual size is {total} bytes. "
            f"(package.unzipped_max_mb in the course facts file: {limit.cite()}.)"
        )


def mount(fn: Any, root: str, env: dict[str, str]) -> list[str]:
    """Extract `fn`'s layers under `root`, add their paths to `env` and return the sys.path
    entries (both empty when the function has no layers)."""
    arns = [layer["Arn"] for layer in fn.layers or []]
    if not arns:
        return []
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[fn.account_id][fn.region]
    folder = os.path.join(root, "opt", hashlib.sha256("\n".join(arns).encode()).hexdigest())
    with _extract_lock:
        if not os.path.isdir(folder):
            partial = folder + ".partial"
            shutil.rmtree(partial, ignore_errors=True)
            os.makedirs(partial)
            for version in layer_versions(backend, arns):
                if version is not None and version.code_bytes:
                    with zipfile.ZipFile(io.BytesIO(version.code_bytes)) as archive:
                        archive.extractall(partial)
            os.rename(partial, folder)
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"
    paths = [os.path.join(folder, "python", "lib", python, "site-packages")]
    paths.append(os.path.join(folder, "python"))
    env["LAMBDA_OPT"] = folder
    for name, sub in (("PATH", "bin"), ("LD_LIBRARY_PATH", "lib")):
        env[name] = os.pathsep.join(p for p in (env.get(name), os.path.join(folder, sub)) if p)
    return paths


def _zip_from(backend: LambdaBackend, spec: dict[str, Any]) -> bytes | None:
    """The .zip a create or code-update request carries (None for a container image)."""
    if spec.get("ZipFile"):
        data = spec["ZipFile"]
        return base64.b64decode(data) if isinstance(data, str) else data
    if spec.get("S3Bucket") and spec.get("S3Key"):
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
        return s3.get_object(spec["S3Bucket"], spec["S3Key"]).value
    return None if spec.get("ImageUri") else b""


def _create_function(self: LambdaBackend, spec: dict[str, Any]) -> Any:
    check(self, _zip_from(self, spec.get("Code") or {}), list(spec.get("Layers") or []))
    return _originals["create_function"](self, spec)


def _update_function_configuration(
    self: LambdaBackend, function_name: str, qualifier: str | None, body: dict[str, Any]
) -> Any:
    if "Layers" in body:
        fn = self.get_function(function_name, qualifier)
        check(self, fn.code_bytes if fn.package_type == "Zip" else None, list(body["Layers"]))
    return _originals["update_function_configuration"](self, function_name, qualifier, body)


def _update_function_code(
    self: LambdaBackend, function_name: str, qualifier: str | None, body: dict[str, Any]
) -> Any:
    fn = self.get_function(function_name, qualifier)
    check(self, _zip_from(self, body), [layer["Arn"] for layer in fn.layers or []])
    return _originals["update_function_code"](self, function_name, qualifier, body)
