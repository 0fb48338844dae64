"""Capturing every log record the application and Django emit, at every level."""

import logging
from contextlib import contextmanager


class _Keep(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def record_text(record: logging.LogRecord) -> str:
    """All a record carries: its message and args, exception, stack and extra attributes."""
    parts = [str(record.msg), record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    parts += [record.exc_text or "", record.stack_info or ""]
    standard = set(vars(logging.makeLogRecord({})))
    parts += [repr(value) for name, value in vars(record).items() if name not in standard]
    return "\n".join(parts)


@contextmanager
def every_log_record():
    """Every logger at DEBUG (django.request, django.security.*, django.db.backends, the
    apps' own…), each record kept, whatever the logging settings let through."""
    keep = _Keep()
    manager = logging.root.manager
    loggers = [logging.root] + [
        logger for logger in manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    # Loggers that do not propagate (Django's "django") get the handler themselves.
    hooked = [logger for logger in loggers if logger is logging.root or not logger.propagate]
    try:
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
            logger.disabled = False
        for logger in hooked:
            logger.addHandler(keep)
        yield keep.records
    finally:
        for logger in hooked:
            logger.removeHandler(keep)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled
