-- wrk script for POST /login: every request is a real sign-in (argon2 verify, a new session
-- record, an audit event). bench/http/run.py passes the form body (with the CSRF token) and the
-- cookie that carries the CSRF secret; wrk ignores the server's new cookies, so each request
-- signs in afresh. Answers other than 2xx/3xx (401, 429) show in wrk's "Non-2xx or 3xx" line.
wrk.method = "POST"
wrk.body = os.getenv("GATEHOUSE_LOGIN_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("GATEHOUSE_COOKIE")
wrk.headers["Referer"] = os.getenv("GATEHOUSE_REFERER")
