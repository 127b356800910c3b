"""Test-suite wide settings: pytester for plugin sub-runs, and Hypothesis profiles.

Profiles: "dev" (default locally) and "ci" (loaded when the CI variable is set, as `.ci/run` does):
both keep no example database, so a run's inputs depend only on the seed and the code.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

settings.register_profile("dev", database=None, deadline=None)
settings.register_profile(
    "ci",
    database=None,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
