"""The ``.keras`` zip: its ``config.json`` only, bounded, without Keras.

:func:`read_model_config` opens the archive, reads ``config.json`` (at most
``max_bytes`` of it, whatever its header claims) and parses it as JSON: no weights,
no Keras, no model building, no code from the file. :func:`compiled_optimizer` finds
the optimizer a compiled model was saved with.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

from lrkit.io.json_config import parse_json
from lrkit.io.limits import MAX_FILE_BYTES, FormatError, positive_int

#: what ``zipfile`` raises on a damaged archive: bad headers, offsets, versions,
#: compressed data, the encryption flag
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    struct.error,
)


def config_json_bytes(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of ``config.json`` in the ``.keras`` zip at ``path``: at most ``max_bytes``.

    Args:
        path (str | os.PathLike): the ``.keras`` file.
        max_bytes (int): the most bytes of ``config.json`` read; > 0.

    Raises:
        FormatError: not a zip, no ``config.json``, too large, or a damaged archive.
        OSError: the file cannot be opened.

    >>> import tempfile, zipfile
    >>> with tempfile.NamedTemporaryFile(suffix=".keras") as f:
    ...     with zipfile.ZipFile(f.name, "w") as z:
    ...         z.writestr("config.json", "{}")
    ...     config_json_bytes(f.name)
    b'{}'
    """
    max_bytes = positive_int("max_bytes", max_bytes)
    name = os.fspath(path)
    with open(name, "rb") as file:  # OSError: the file cannot be opened
        try:
            try:
                archive = zipfile.ZipFile(file)
            except zipfile.BadZipFile:
                raise FormatError(f"{name} is not a .keras file (not a zip archive).") from None
            with archive:
                try:
                    info = archive.getinfo("config.json")
                except KeyError:
                    raise FormatError(
                        f"{name} is not a .keras file: it has no config.json."
                    ) from None
                if info.file_size > max_bytes:
                    raise FormatError(
                        f"{name}: config.json is {info.file_size} bytes; "
                        f"at most {max_bytes} are read."
                    )
                with archive.open(info) as f:
                    data = f.read(max_bytes + 1)  # whatever the header claims
        except FormatError:
            raise
        except ZIP_ERRORS as exc:  # a damaged or hostile archive
            detail = str(exc) or type(exc).__name__
            raise FormatError(
                f"{name} is not a readable .keras file (zip archive): {detail}"
            ) from None
    if len(data) > max_bytes:
        raise FormatError(f"{name}: config.json is larger than {max_bytes} bytes.")
    return bytes(data)


def read_model_config(path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> Any:
    """The parsed ``config.json`` of the ``.keras`` zip at ``path`` (see
    :func:`config_json_bytes`; the JSON is bounded as :func:`lrkit.io.json_config.parse_json`).

    Args:
        path (str | os.PathLike): the ``.keras`` file.
        max_bytes (int): the most bytes of ``config.json`` read; > 0.

    >>> import tempfile, zipfile
    >>> with tempfile.NamedTemporaryFile(suffix=".keras") as f:
    ...     with zipfile.ZipFile(f.name, "w") as z:
    ...         z.writestr("config.json", '{"compile_config": null}')
    ...     read_model_config(f.name)
    {'compile_config': None}
    """
    raw = config_json_bytes(path, max_bytes)
    return parse_json(raw, f"{os.fspath(path)}: config.json")


def compiled_optimizer(config: Any, where: str) -> Any:
    """The optimizer of a model config (``config.json``): ``compile_config["optimizer"]``.

    Args:
        config (Any): the parsed ``config.json``.
        where (str): the file, for the message.

    Raises:
        FormatError: a model saved without an optimizer (not compiled).

    >>> compiled_optimizer({"compile_config": {"optimizer": "adam"}}, "m.keras")
    'adam'
    """
    compile_config = config.get("compile_config") if isinstance(config, Mapping) else None
    optimizer = compile_config.get("optimizer") if isinstance(compile_config, Mapping) else None
    if optimizer is None:
        raise FormatError(
            f"{where}: the model was saved without an optimizer (not compiled), so it has no "
            "learning-rate schedule."
        )
    return optimizer
