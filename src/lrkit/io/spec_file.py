"""Text holding a SPEC expression, such as a file with ``CosineDecay(0.1, 10000)``.

The text is read within :data:`lrkit.io.limits.MAX_FILE_BYTES` (by the caller) and
parsed by :func:`lrkit.spec.parse_spec`, never evaluated.
"""

from __future__ import annotations

import os

from lrkit.core.base import LearningRateSchedule
from lrkit.io.limits import MAX_FILE_BYTES, decode_text, read_bytes


def looks_like_spec(text: str) -> bool:
    """Whether ``text`` reads as a call, ``Name(...)`` or ``a.b.Name(...)``.

    Args:
        text (str): a file's stripped text.

    >>> looks_like_spec("CosineDecay(0.1, 1000)"), looks_like_spec("a: 1")
    (True, False)
    """
    head = text.split("(", 1)[0].strip()
    return "(" in text and bool(head) and all(p.isidentifier() for p in head.split("."))


def read_spec_file(
    path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES
) -> LearningRateSchedule:
    """The schedule the SPEC in the file at ``path`` describes.

    Args:
        path (str | os.PathLike): a text file holding one SPEC expression.
        max_bytes (int): the most bytes read; > 0.

    Raises:
        FormatError: too large or not UTF-8. SpecError: not a SPEC.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
    ...     _ = f.write("Constant(0.5)\\n"); f.flush()
    ...     read_spec_file(f.name)
    Constant(learning_rate=0.5)
    """
    from lrkit.spec import parse_spec

    name = os.fspath(path)
    return parse_spec(decode_text(read_bytes(name, max_bytes), name).strip())
