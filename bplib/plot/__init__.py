"""Plots of the course: computational graphs (chapters 1 and 11), training curves, kernels and
feature maps (chapters 6 and 10), pooling and convolution drawn with their numbers
(chapters 8 and 9), profiles through depth and accuracy grids (chapter 7), the sum that
undoes a broadcast (chapter 11). matplotlib only.

One module per kind of plot; this package re-exports the public functions.
"""

from bplib.plot.conv import *  # noqa: F401,F403
from bplib.plot.curves import *  # noqa: F401,F403
from bplib.plot.graph import *  # noqa: F401,F403
from bplib.plot.initialisation import *  # noqa: F401,F403
from bplib.plot.pool import *  # noqa: F401,F403
from bplib.plot.tensor_graph import *  # noqa: F401,F403
from bplib.plot.windows import *  # noqa: F401,F403
