import sys

from app import create_app
from app.sso.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:  # a mistake in the SSO file: say where, without a traceback
    sys.stderr.write(f"Gatehouse cannot start: {exc}\n")
    raise SystemExit(3) from None
