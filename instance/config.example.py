# Copy to instance/config.py. Environment variables (and .env) win over what is set here.
# DATABASE_URL = "postgresql+psycopg://gatehouse@127.0.0.1:5432/gatehouse"
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
# TRUSTED_PROXIES = 1
# BASE_URL = "https://gatehouse.example.org"
# MAIL_SERVER = "smtp.example.org"
