"""The bounds every reader of :mod:`lrkit.io` applies, and bounded reading of a file.

One set of limits for every entry point (``lrkit.keras.read_keras_file``,
``lrkit.from_model_garden``, the ``lrkit`` command); docs/security.md lists them.
"""

from __future__ import annotations

import os
from typing import Any

from lrkit.core import validate as _validate

#: the largest file read, and the largest ``config.json`` read from a ``.keras`` zip
#: (bytes, uncompressed, whatever the zip's header claims)
MAX_FILE_BYTES = 16 * 2**20
#: deepest nesting of dicts and lists in a file's document (JSON or YAML), checked
#: without recursion before anything recursive sees the data
MAX_DEPTH = 100
#: most YAML nodes in a file, counting each alias as the nodes it stands for (so that a
#: small file cannot expand to a huge tree: "billion laughs")
MAX_YAML_NODES = 100_000
#: optimizer wrappers (``LossScaleOptimizer``) unwrapped to find the learning rate
MAX_WRAPPERS = 8


class FormatError(ValueError):
    """A file that holds no schedule lrkit can read; the message says why, in one line.

    A ``ValueError``, so that every reader's refusal is one.

    >>> issubclass(FormatError, ValueError)
    True
    """


class NestingError(FormatError):
    """A document nested deeper than :data:`MAX_DEPTH`.

    >>> issubclass(NestingError, FormatError)
    True
    """


def read_bytes(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the file at ``path``: at most ``max_bytes``, else :class:`FormatError`.

    Reads ``max_bytes + 1`` bytes at most, whatever the file's size. A file that cannot
    be opened raises ``OSError``, as ``open`` does.

    Args:
        path (str | os.PathLike): the file.
        max_bytes (int): the most bytes read; > 0.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(suffix=".json") as f:
    ...     _ = f.write(b"[1, 2, 3]"); f.flush()
    ...     read_bytes(f.name), read_bytes(f.name, max_bytes=4)
    Traceback (most recent call last):
    ...
    lrkit.io.limits.FormatError: ... is larger than 4 bytes; it is not read.
    """
    max_bytes = positive_int("max_bytes", max_bytes)
    name = os.fspath(path)
    with open(name, "rb") as f:  # OSError: the file cannot be read
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise FormatError(f"{name} is larger than {max_bytes} bytes; it is not read.")
    return raw


def decode_text(raw: bytes, where: str) -> str:
    """``raw`` as UTF-8 text (a byte-order mark is dropped), else :class:`FormatError`.

    Args:
        raw (bytes): a file's content.
        where (str): the file's name, for the message.

    >>> decode_text(b"\\xef\\xbb\\xbfa: 1", "c.yaml")
    'a: 1'
    >>> decode_text(b"\\xff", "c.yaml")
    Traceback (most recent call last):
    ...
    lrkit.io.limits.FormatError: c.yaml is not a text file (not UTF-8: invalid start byte).
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{where} is not a text file (not UTF-8: {exc.reason}).") from None


def check_depth(data: Any, where: str) -> None:
    """Refuses ``data`` if its dicts and lists nest more than :data:`MAX_DEPTH` deep.

    Args:
        data (Any): a parsed document.
        where (str): what it is, for the message.

    >>> check_depth({"a": [[1]]}, "c.json")
    >>> check_depth([[[[]]]] * 1, "c.json")
    """
    try:
        _validate.nesting(data, MAX_DEPTH, where)
    except ValueError as exc:
        raise NestingError(str(exc)) from None


def positive_int(name: str, value: Any) -> int:
    """``value``, an ``int`` (not a ``bool``) > 0; else the argument error, Keras's form.

    Args:
        name (str): the argument's name.
        value (Any): its value.

    >>> positive_int("max_bytes", 10)
    10
    >>> positive_int("max_bytes", 0)
    Traceback (most recent call last):
    ...
    ValueError: Argument `max_bytes` must be an int > 0. Received: max_bytes=0.
    """
    return _validate.positive_int(name, value)
