"""Schedules read from other libraries' schedulers, by their own names.

* :func:`from_torch`: a live ``torch.optim.lr_scheduler`` object;
* :func:`from_transformers`: what ``transformers.get_scheduler`` builds;
* :func:`from_timm`: a live ``timm.scheduler`` object.

None of them imports its library: they read the objects (or arguments) they are given.
"""

from lrkit.peers.timm import from_timm
from lrkit.peers.torch import from_torch
from lrkit.peers.transformers import from_transformers

__all__ = ["from_timm", "from_torch", "from_transformers"]
