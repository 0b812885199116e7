"""gunicorn settings for Gatehouse: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# Rate limits live in one process's memory unless Redis holds them, so without Redis run one
# process with threads; with Redis, the usual 2 × cores + 1 workers.
_shared_limits = os.environ.get("RATELIMIT_STORAGE_URI", "").startswith(("redis", "rediss"))
workers = int(os.environ.get("GUNICORN_WORKERS",
                             multiprocessing.cpu_count() * 2 + 1 if _shared_limits else 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1 if _shared_limits else 8))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# %({x-forwarded-for}i)s is what the proxy saw; %(h)s is the proxy itself.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
