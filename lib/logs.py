"""Log lines that text from outside cannot forge.

Upstream error messages, task failure reasons and file names end up in log messages. A
newline in one of them would start what looks like a fresh, trustworthy log line, so
the formatter escapes line breaks and other control characters in the message, and
indents every line of a traceback under the line that owns it.
"""

import logging

_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
_ESCAPES.update({code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F) if code not in _ESCAPES})
_ESCAPES.update({code: f"\\u{code:04x}" for code in (0x85, 0x2028, 0x2029)})


def escape(text: str) -> str:
    return text.translate(_ESCAPES)


class SingleLineFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return _indent(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indent(super().formatStack(stack_info))


def _indent(text: str) -> str:
    return "\n".join("    | " + escape(line) for line in text.splitlines())
