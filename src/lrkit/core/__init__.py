"""The core layer: what every schedule is built on, importing nothing above it.

* :mod:`lrkit.core.base`: :class:`LearningRateSchedule`, the base class, and how a
  call reaches a schedule's formula;
* :mod:`lrkit.core.ops`: :class:`~lrkit.core.ops.Ops`, the operations a formula is
  written against; :mod:`lrkit.core.scalar` (Python numbers) and
  :mod:`lrkit.core.arrays` (arrays) implement them (:mod:`lrkit.core.namespace`
  re-exports both);
* :mod:`lrkit.core.fastpath`: the Python-number fast path;
* :mod:`lrkit.core.validate`: argument checks, with Keras's messages;
* :mod:`lrkit.core.registry` and :mod:`lrkit.core.serialization`: configs.

The layers above it, each importing only those below: the schedule families
(:mod:`lrkit.schedules`), composition (:mod:`lrkit.compose`), Model Garden's classes
(:mod:`lrkit.model_garden`), the framework adapters (:mod:`lrkit.torch`,
:mod:`lrkit.keras`), then the command line, file formats and plotting.
"""
