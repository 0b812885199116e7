"""A non-editable install works outside the checkout: .ci/wheel-check builds the wheel, installs
it into a fresh virtual environment, migrates SQLite, makes the admin and serves /login and a
static file with gunicorn. About 45 s, most of it installing the dependencies."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.system.conftest import ROOT


@pytest.mark.system
def test_the_wheel_installs_migrates_and_serves():
    result = subprocess.run(
        [str(ROOT / ".ci" / "wheel-check")],
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "wheel-check: ok" in result.stdout
