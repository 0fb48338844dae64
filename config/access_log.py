"""gunicorn's access log without the client's address (gunicorn.conf.py uses this class).

Whatever `access_log_format` asks for, the client's address (`%(h)s`), request and
response headers (X-Forwarded-For carries addresses), the WSGI environ, the query string,
the referrer and the HTTP user are not available: they come out as "-". Paths keep
everything but link tokens (config/logs.py).
"""

from gunicorn.glogging import Logger

from config.logs import redact_link_tokens

# The atoms that say nothing about who asked: time, method, status, sizes, durations.
_KEPT = {"l", "t", "s", "m", "H", "b", "B", "a", "T", "D", "M", "L", "p"}


class PrivateAccessLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = {
            key: value
            for key, value in super().atoms(resp, req, environ, request_time).items()
            if key in _KEPT
        }
        path = redact_link_tokens(environ.get("PATH_INFO") or "")
        method, protocol = environ.get("REQUEST_METHOD", "-"), environ.get("SERVER_PROTOCOL", "-")
        atoms.update(U=path, r=f"{method} {path} {protocol}")
        return atoms
