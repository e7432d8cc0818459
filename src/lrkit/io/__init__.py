"""Reading schedule configs from files: one reader per format, one set of limits.

* :mod:`lrkit.io.limits`: the bounds every reader applies (bytes, nesting, YAML
  nodes, optimizer wrappers) and bounded reading of a file's bytes and text;
* :mod:`lrkit.io.json_config`: JSON text, Keras's serialized schedules and
  optimizers (the one optimizer-config walker), and lrkit's own JSON file;
* :mod:`lrkit.io.yaml_safe`: the one YAML loader (plain data only, bounded);
* :mod:`lrkit.io.keras_file`: the ``config.json`` of a ``.keras`` zip;
* :mod:`lrkit.io.model_garden_file`: Model Garden optimization configs, from a
  dict, an object with ``as_dict()``, or a YAML or JSON file;
* :mod:`lrkit.io.spec_file`: text holding a SPEC expression.

``lrkit.keras.read_keras_file``, ``lrkit.from_model_garden`` and the ``lrkit``
command (through :mod:`lrkit.formats`) all read files here, so a file is read, and
refused, the same way by each. Nothing a file names is imported or evaluated.
"""

from lrkit.io.limits import FormatError

__all__ = ["FormatError"]
