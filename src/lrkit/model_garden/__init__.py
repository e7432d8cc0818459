"""TensorFlow Model Garden's schedules and optimization configs, without its bugs.

The schedule classes of ``official.modeling.optimization.lr_schedule``, with the
same arguments, defaults and config keys, computed exactly like lrkit's Keras
schedules (which the ``*WithOffset`` classes wrap), and :func:`from_model_garden` /
:func:`to_model_garden` for Model Garden's ``OptimizationConfig``. Nothing here
imports TensorFlow or Model Garden. Where lrkit's results differ from Model
Garden's, and why: ``docs/model_garden.md``.

>>> import lrkit
>>> s = lrkit.from_model_garden({
...     "learning_rate": {"type": "cosine", "cosine": {
...         "initial_learning_rate": 0.1, "decay_steps": 1000, "offset": 100}},
...     "warmup": {"type": "linear", "linear": {"warmup_steps": 100}}})
>>> s(0), s(50), s(100), round(s(600), 12), s(1100)
(0.0, 0.05, 0.1, 0.05, 0.0)
>>> lrkit.from_model_garden(lrkit.to_model_garden(s)) == s
True
"""

from lrkit.model_garden.config import from_model_garden, to_model_garden
from lrkit.model_garden.offset import (
    CosineDecayWithOffset,
    ExponentialDecayWithOffset,
    PiecewiseConstantDecayWithOffset,
    PolynomialDecayWithOffset,
)
from lrkit.model_garden.power import DirectPowerDecay, PowerAndLinearDecay, PowerDecayWithOffset
from lrkit.model_garden.step_cosine import StepCosineDecayWithOffset
from lrkit.model_garden.warmup import LinearWarmup, PolynomialWarmUp

__all__ = [
    "CosineDecayWithOffset",
    "DirectPowerDecay",
    "ExponentialDecayWithOffset",
    "LinearWarmup",
    "PiecewiseConstantDecayWithOffset",
    "PolynomialDecayWithOffset",
    "PolynomialWarmUp",
    "PowerAndLinearDecay",
    "PowerDecayWithOffset",
    "StepCosineDecayWithOffset",
    "from_model_garden",
    "to_model_garden",
]
