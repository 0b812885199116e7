"""Debian's SimpleSAMLphp 1.19 as a real SAML identity provider for the tests, run with PHP's
built-in server (no apache): the package is downloaded with `apt-get download` and unpacked with
`dpkg-deb -x` into a cache folder; the configuration comes from ./simplesamlphp, filled in for
this run (port, our SP's URLs, a fresh key and certificate) in a temporary folder.
"""

from __future__ import annotations

import glob
import html
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.conftest import unavailable

TEMPLATES = Path(__file__).with_name("simplesamlphp")
PHP_PACKAGES = ("php8.2-cli", "php8.2-xml", "php8.2-mbstring", "php8.2-curl")
CACHE = Path(os.environ.get("GATEHOUSE_SIMPLESAMLPHP_CACHE", "/tmp/gatehouse-simplesamlphp"))
_INPUT = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', re.S)
_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.S)


def _run(*command: str, cwd: Path | None = None) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(command, check=True, cwd=cwd, env=env, capture_output=True)


def ensure_installed() -> Path:
    """The unpacked simplesamlphp package, downloaded once with `apt-get download`; returns its
    web root. PHP itself comes from Debian's PHP_PACKAGES, which .ci/run installs."""
    if shutil.which("php") is None:
        unavailable("PHP is missing: apt-get install -y " + " ".join(PHP_PACKAGES))
    www = CACHE / "root/usr/share/simplesamlphp/www"
    if not www.is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        if not glob.glob(str(CACHE / "simplesamlphp_*.deb")):
            try:
                _run("apt-get", "download", "simplesamlphp", cwd=CACHE)
            except (OSError, subprocess.CalledProcessError):
                unavailable("`apt-get download simplesamlphp` failed (no Debian package lists?)")
        _run(
            "dpkg-deb", "-x", glob.glob(str(CACHE / "simplesamlphp_*.deb"))[0], str(CACHE / "root")
        )
    return www


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    key, cert = folder / f"{name}.key", folder / f"{name}.crt"
    _run(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
        "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip
    return key, cert


@dataclass
class Idp:
    """A running SimpleSAMLphp; `sign_in` plays the browser up to the form it posts to us."""

    port: int
    config_dir: Path
    process: subprocess.Popen | None = None
    log: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/saml2/idp/metadata.php"

    metadata_url = entity_id

    @property
    def certificate(self) -> str:
        return (self.config_dir / "cert/idp.crt").read_text()

    def sign_in(self, login_url: str, username: str, password: str) -> dict[str, str]:
        """Follow our redirect to the IdP, fill its login form, and return what its last page
        would make the browser POST to us: {"action", "SAMLResponse", "RelayState"}."""
        browser = requests.Session()
        page = browser.get(login_url, timeout=20)
        page.raise_for_status()
        fields = dict(_INPUT.findall(page.text))
        fields.update(username=username, password=password)
        page = browser.post(page.url, data=fields, timeout=20)
        page.raise_for_status()
        found = {k: html.unescape(v) for k, v in _INPUT.findall(page.text)}
        if "SAMLResponse" not in found:
            raise AssertionError(f"the IdP did not answer with a SAMLResponse:\n{page.text[:2000]}")
        action = _FORM.search(page.text)
        found["action"] = html.unescape(action.group(1)) if action else ""
        return found


def start(folder: Path, sp_base: str, sp_ids: list[str]) -> Idp:
    www = ensure_installed()
    port = free_port()
    config, state = folder / "config", folder / "state"
    for sub in ("log", "data", "tmp", "sessions"):
        (state / sub).mkdir(parents=True)
    (config / "cert").mkdir(parents=True)
    make_certificate(config / "cert", "idp")
    idp = Idp(port, config)
    values = {
        "@@PORT@@": str(port),
        "@@CONFIG@@": str(config),
        "@@STATE@@": str(state),
        "@@SALT@@": secrets.token_hex(16),
        "@@IDP_ENTITY_ID@@": idp.entity_id,
        "@@SP_BASE@@": sp_base.rstrip("/"),
        "@@SP_IDS@@": "[" + ", ".join(f"'{i}'" for i in sp_ids) + "]",
    }
    for template in TEMPLATES.rglob("*.php"):
        text = template.read_text()
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        target = config / template.relative_to(TEMPLATES)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    idp.process = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(www)],
        env={**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(config)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(idp.metadata_url, timeout=2).ok:
                return idp
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or idp.process.poll() is not None:
            stop(idp)
            raise RuntimeError(f"SimpleSAMLphp did not start on port {port}")
        time.sleep(0.1)


def stop(idp: Idp) -> None:
    if idp.process is not None and idp.process.poll() is None:
        idp.process.terminate()
        try:
            idp.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            idp.process.kill()
