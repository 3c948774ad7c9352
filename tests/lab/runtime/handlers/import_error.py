"""A module whose import fails: the package is not in the deployment zip."""

import package_that_is_not_installed  # noqa: F401


def handler(event, context):
    return 1
