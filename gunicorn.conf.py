"""gunicorn settings, read by `gunicorn config.wsgi` started from this folder (`make serve`).

Signers' IP addresses never reach a log: the access log line has no client address (our
logger class drops it, and any header or environ value that could carry one, even if a
format asks for them), and link tokens in paths are masked. Rate limits and abuse
controls work on keyed hashes of the address (signatories/privacy.py), not on logs.
"""

# [time] "GET /c/fund-shelters/ HTTP/1.1" 200 5120 bytes 12 ms "user agent"
access_log_format = '%(t)s "%(r)s" %(s)s %(B)s bytes %(M)s ms "%(a)s"'
logger_class = "config.access_log.PrivateAccessLogger"
