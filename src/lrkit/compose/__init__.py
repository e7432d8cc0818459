"""Composition: warmup in front of any schedule, joins, offsets and arithmetic.

Every composition is itself a schedule: immutable, serializable (nested schedules
are written in ``serialize``'s form, to any depth) and usable on every backend.
"""

from lrkit.compose.arithmetic import Clamp, Product, Scale, Sum
from lrkit.compose.cooldown import Cooldown
from lrkit.compose.epochwise import Epochwise
from lrkit.compose.join import Join
from lrkit.compose.offset import Offset
from lrkit.compose.warmup import Warmup

__all__ = ["Clamp", "Cooldown", "Epochwise", "Join", "Offset", "Product", "Scale", "Sum", "Warmup"]
