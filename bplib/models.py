"""Ready-made networks of the book (chapter 10).

``digits_cnn`` is the LeNet-style network that chapter 10 trains on the 8×8 digits. It lives
here, not in the chapter, so that the book's page and the tests build the very same network:
``tests/torch_models.py`` holds its PyTorch twin, and ``tests/test_torch_crosscheck_cnn.py``
copies this network's weights into the twin and requires the same logits, loss and gradients.
The function is shown in the book, so its lines stay within 78 characters.
"""

from __future__ import annotations

from bplib._validate import check_positive_int, check_rng
from bplib.layers import Conv2d, Flatten, Linear, MaxPool2d, ReLU
from bplib.network import Sequential

__all__ = ["digits_cnn"]


def digits_cnn(c1=16, c2=32, hidden=128, *, rng=None) -> Sequential:
    """Chapter 10's CNN: 8×8 grey images (N, 1, 8, 8) -> 10 logits (N, 10).

    Two blocks of 3×3 convolution (padding 1 keeps the size), ReLU and
    2×2 max pooling, then two fully connected layers; each size follows
    ⌊(H + 2P − K)/S⌋ + 1 (book: eq-conv-output-size, eq-pool-output-size).

    Args:
        c1, c2: channels of the two convolutions (16 and 32 in the book).
        hidden: units of the hidden fully connected layer (128).
        rng: a ``numpy.random.Generator`` drawing every layer's initial
            weights in turn, PyTorch's default way (None: unseeded).

    Returns:
        a ``Sequential`` of 10 layers, parameters in layers 0, 3, 7, 9.
    """
    c1 = check_positive_int(c1, where="digits_cnn", name="c1")
    c2 = check_positive_int(c2, where="digits_cnn", name="c2")
    hidden = check_positive_int(hidden, where="digits_cnn", name="hidden")
    rng = check_rng(rng, where="digits_cnn")  # one generator for all layers
    return Sequential(
        Conv2d(1, c1, 3, padding=1, rng=rng),  # -> (N, c1, 8, 8)
        ReLU(),
        MaxPool2d(2),  # -> (N, c1, 4, 4)
        Conv2d(c1, c2, 3, padding=1, rng=rng),  # -> (N, c2, 4, 4)
        ReLU(),
        MaxPool2d(2),  # -> (N, c2, 2, 2)
        Flatten(),  # (N, c2, 2, 2) -> (N, 4 * c2), row-major like PyTorch
        Linear(4 * c2, hidden, rng=rng),
        ReLU(),
        Linear(hidden, 10, rng=rng),  # -> (N, 10) logits
    )
