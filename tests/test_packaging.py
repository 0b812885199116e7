"""The wheel's package list and data globs cover the checkout (fast; .ci/wheel-check and
tests/system/test_wheel.py build, install and serve the wheel itself)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from app import config

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folder(package: str) -> Path:
    mapped = SETUPTOOLS.get("package-dir", {})
    return ROOT / mapped[package] if package in mapped else ROOT / package.replace(".", "/")


def test_every_package_of_the_checkout_is_listed():
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "app").rglob("__init__.py")
    }
    mapped = set(SETUPTOOLS["package-dir"])
    assert set(SETUPTOOLS["packages"]) == found | mapped
    assert mapped == {"app._templates", "app._static", "app._migrations"}
    assert all(_folder(package).is_dir() for package in mapped)


def test_every_file_of_the_mapped_folders_is_package_data():
    for package in SETUPTOOLS["package-dir"]:
        folder = _folder(package)
        patterns = SETUPTOOLS["package-data"][package]
        covered = {p for pattern in patterns for p in folder.glob(pattern) if p.is_file()}
        covered |= set(folder.glob("*.py"))  # a listed package's modules travel anyway
        files = {
            p
            for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }
        assert files - covered == set(), package


def test_a_checkout_uses_its_top_level_folders():
    assert not config.INSTALLED
    assert config.folder("templates") == str(ROOT / "templates")
    assert config.folder("migrations") == str(ROOT / "migrations")
