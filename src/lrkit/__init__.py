"""lrkit: learning-rate schedules, exact, for every framework.

Keras's schedule API (``keras.optimizers.schedules``), computed exactly for Python
numbers and elementwise for NumPy, JAX and PyTorch arrays.

>>> import lrkit
>>> s = lrkit.CosineDecay(0.1, decay_steps=1000, warmup_target=1.0, warmup_steps=100)
>>> s(0), s(100), s(1100)
(0.1, 1.0, 0.0)
"""

from lrkit import optax as optax  # optax's schedule functions under their names (no optax)
from lrkit import registry as registry
from lrkit import serialization as serialization
from lrkit._version import __version__
from lrkit.compose import Clamp, Cooldown, Epochwise, Join, Offset, Product, Scale, Sum, Warmup
from lrkit.core.base import LearningRateSchedule, Schedule
from lrkit.core.registry import register_serializable
from lrkit.core.serialization import deserialize, serialize
from lrkit.core.units import epochs, fraction
from lrkit.model_garden import from_model_garden, to_model_garden
from lrkit.peers import from_timm, from_torch, from_transformers
from lrkit.plateau import Plateau
from lrkit.schedules import (
    Constant,
    Cosine,
    CosineCycles,
    CosineDecay,
    CosineDecayRestarts,
    Cyclic,
    CyclicalMomentum,
    ExponentialDecay,
    InverseSqrt,
    InverseTimeDecay,
    Linear,
    MultiStep,
    OneCycle,
    PiecewiseConstantDecay,
    PiecewiseLinear,
    Polynomial,
    PolynomialDecay,
    Step,
    Tanh,
    WarmupStableDecay,
)
from lrkit.schedules.cosine_annealing import CosineAnnealing
from lrkit.schedules.poly_cycles import PolyCycles

__all__ = [
    "Clamp",
    "Constant",
    "Cooldown",
    "Cosine",
    "CosineAnnealing",
    "CosineCycles",
    "CosineDecay",
    "CosineDecayRestarts",
    "Cyclic",
    "CyclicalMomentum",
    "Epochwise",
    "ExponentialDecay",
    "InverseSqrt",
    "InverseTimeDecay",
    "Join",
    "LearningRateSchedule",
    "Linear",
    "MultiStep",
    "Offset",
    "OneCycle",
    "PiecewiseConstantDecay",
    "PiecewiseLinear",
    "Plateau",
    "PolyCycles",
    "Polynomial",
    "PolynomialDecay",
    "Product",
    "Scale",
    "Schedule",
    "Step",
    "Sum",
    "Tanh",
    "Warmup",
    "WarmupStableDecay",
    "__version__",
    "deserialize",
    "epochs",
    "fraction",
    "from_model_garden",
    "from_timm",
    "from_torch",
    "from_transformers",
    "register_serializable",
    "serialize",
    "to_model_garden",
]
