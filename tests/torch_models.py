"""Chapter 10's network, training loop and prediction in PyTorch: the code the book shows.

Chapter 10 shows these functions with ``literalinclude``, and
``tests/test_torch_crosscheck_cnn.py`` runs them: it copies the weights of
``bplib.models.digits_cnn`` into ``digits_cnn_torch`` and requires the same logits, loss and
every gradient to 1e-10 in float64, and it checks that ``train_torch`` takes the same steps
as ``bplib.train.train``. Only the tests import this file: the book never needs PyTorch.
"""

from __future__ import annotations

import torch
from torch import nn


def digits_cnn_torch(c1=16, c2=32, hidden=128):
    """bplib.models.digits_cnn in PyTorch: (N, 1, 8, 8) -> (N, 10)."""
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1),  # -> (N, c1, 8, 8)
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> (N, c1, 4, 4)
        nn.Conv2d(c1, c2, 3, padding=1),  # -> (N, c2, 4, 4)
        nn.ReLU(),
        nn.MaxPool2d(2),  # -> (N, c2, 2, 2)
        nn.Flatten(),  # -> (N, 4 * c2)
        nn.Linear(4 * c2, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 10),
    ).double()  # float64 like bplib here (PyTorch's default is float32)


def load_bplib_weights(model, state_dict):
    """Copy a bplib state_dict ("0.W", "0.b", ...) into a PyTorch model."""
    renamed = {
        key.replace(".W", ".weight").replace(".b", ".bias"): torch.tensor(
            value
        )
        for key, value in state_dict.items()
    }
    model.load_state_dict(renamed)  # strict: names and shapes must match
    return model


def train_torch(model, X, y, *, epochs=16, lr=0.02, drop_at=12):
    """Chapter 10's training: SGD with momentum 0.9 on shuffled mini-batches
    of 32 from (X, y); the step is divided by 10 from epoch `drop_at` on."""
    loss_fn = nn.CrossEntropyLoss()  # logits, integer labels, batch mean
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for epoch in range(epochs):
        if epoch == drop_at:  # a smaller step; the velocity is kept
            for group in optimizer.param_groups:
                group["lr"] = lr / 10
        for idx in torch.randperm(len(X)).split(32):  # shuffled batches
            optimizer.zero_grad()  # PyTorch ADDS each backward's gradients
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()  # autograd fills every parameter's .grad
            optimizer.step()
    return model


def predict_torch(model, X):
    """The predicted digit of each image of X (N, 1, 8, 8): top score."""
    with torch.no_grad():  # no graph to record: nothing is differentiated
        return model(X).argmax(dim=1)
