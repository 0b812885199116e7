"""Download /admin/audit.tsv of a seeded database (bench/seed.py: 1,000,000 events) over HTTP.

    python bench/audit_export.py postgresql+psycopg://postgres@127.0.0.1:5432/gatehouse_bench
    python bench/audit_export.py sqlite:////tmp/gatehouse-bench.db

The app is create_app() with that DATABASE_URL behind werkzeug's threaded server on a free
loopback port, as the admin's browser would fetch it (the request's session is closed before
the body is sent, as under gunicorn). Prints the time to the first byte and to the last, the
rows and megabytes received, and the growth of this process's peak memory (server and client
share the process, so it bounds what the export keeps in memory).
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from admin_pages import signed_in_client  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--query", default="", help="filters, e.g. action=login.failed")
    args = parser.parse_args()

    from app import create_app

    app = create_app({"DATABASE_URL": args.database_url})
    client = signed_in_client(app)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/admin/audit.tsv?{args.query}"
    request = urllib.request.Request(
        url, headers={"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"}
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    size = lines = 0
    with urllib.request.urlopen(request, timeout=600) as response:
        first = response.read(1)
        first_byte = time.perf_counter() - began
        size, lines = len(first), first.count(b"\n")
        while chunk := response.read(1 << 20):
            size += len(chunk)
            lines += chunk.count(b"\n")
    total = time.perf_counter() - began
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    server.shutdown()
    print(
        f"{lines - 1:,} rows, {size / 1e6:.1f} MB: first byte {first_byte * 1000:.0f} ms, "
        f"last byte {total:.1f} s ({(lines - 1) / total:,.0f} rows/s), "
        f"peak memory grew {grown:.0f} MiB"
    )


if __name__ == "__main__":
    main()
