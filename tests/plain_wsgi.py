"""A WSGI app without Django, for starting a real gunicorn quickly in tests/test_logs.py."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
