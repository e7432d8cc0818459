"""The schedules, one module per family."""

from lrkit.schedules.constant import Constant
from lrkit.schedules.cosine import CosineDecay
from lrkit.schedules.cosine_restarts import CosineDecayRestarts
from lrkit.schedules.exponential import ExponentialDecay
from lrkit.schedules.inverse_time import InverseTimeDecay
from lrkit.schedules.piecewise import PiecewiseConstantDecay
from lrkit.schedules.polynomial import PolynomialDecay

__all__ = [
    "Constant",
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]
