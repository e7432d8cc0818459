"""The schedules, one module per family."""

from lrkit.schedules.constant import Constant
from lrkit.schedules.cosine import CosineDecay
from lrkit.schedules.cosine_annealing import CosineAnnealing
from lrkit.schedules.cosine_restarts import CosineDecayRestarts
from lrkit.schedules.cosine_variants import Cosine, CosineCycles
from lrkit.schedules.cyclic import Cyclic
from lrkit.schedules.exponential import ExponentialDecay
from lrkit.schedules.inverse_sqrt import InverseSqrt
from lrkit.schedules.inverse_time import InverseTimeDecay
from lrkit.schedules.linear import Linear, PiecewiseLinear, Polynomial
from lrkit.schedules.momentum import CyclicalMomentum
from lrkit.schedules.one_cycle import OneCycle
from lrkit.schedules.piecewise import PiecewiseConstantDecay
from lrkit.schedules.poly_cycles import PolyCycles
from lrkit.schedules.polynomial import PolynomialDecay
from lrkit.schedules.step import MultiStep, Step
from lrkit.schedules.tanh import Tanh
from lrkit.schedules.wsd import WarmupStableDecay

__all__ = [
    "Constant",
    "Cosine",
    "CosineAnnealing",
    "CosineCycles",
    "CosineDecay",
    "CosineDecayRestarts",
    "Cyclic",
    "CyclicalMomentum",
    "ExponentialDecay",
    "InverseSqrt",
    "InverseTimeDecay",
    "Linear",
    "MultiStep",
    "OneCycle",
    "PiecewiseConstantDecay",
    "PiecewiseLinear",
    "PolyCycles",
    "Polynomial",
    "PolynomialDecay",
    "Step",
    "Tanh",
    "WarmupStableDecay",
]
