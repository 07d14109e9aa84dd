"""What the hand-written PyTorch peers share: Keras's initialisation and Keras's Adam settings.

Without these the peer would start from PyTorch's own defaults (uniform ±1/sqrt(units) everywhere,
forget bias 0) and the comparison would time two different optimisation problems.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["ReluLSTM", "keras_adam", "keras_init_linear", "keras_init_lstm"]


def keras_init_lstm(lstm: torch.nn.LSTM) -> None:
    """Initialise ``lstm`` as Keras does an ``LSTM`` layer.

    Glorot-uniform input kernel, orthogonal recurrent kernel, zero biases except the forget gate's
    (1). PyTorch adds two bias vectors, so the whole Keras bias goes into ``bias_ih`` and
    ``bias_hh`` stays zero. The gate order, i, f, g (Keras's c), o, is the same in both.
    """
    units = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            # Glorot's limit is symmetric in fan-in and fan-out, so the transposed layout is fine.
            torch.nn.init.xavier_uniform_(getattr(lstm, f"weight_ih_l{layer}"))
            # Keras makes the rows of its (units, 4·units) recurrent kernel orthonormal; PyTorch
            # stores the transpose, (4·units, units).
            recurrent = torch.nn.init.orthogonal_(torch.empty(units, 4 * units))
            getattr(lstm, f"weight_hh_l{layer}").copy_(recurrent.T)
            bias_ih = getattr(lstm, f"bias_ih_l{layer}")
            bias_ih.zero_()
            bias_ih[units : 2 * units] = 1.0
            getattr(lstm, f"bias_hh_l{layer}").zero_()


def keras_init_linear(linear: torch.nn.Linear) -> None:
    """Initialise ``linear`` as Keras does a ``Dense`` layer: glorot-uniform weight, zero bias."""
    with torch.no_grad():
        torch.nn.init.xavier_uniform_(linear.weight)
        linear.bias.zero_()


def keras_adam(parameters: Iterable[torch.nn.Parameter]) -> torch.optim.Adam:
    """``optimizer='adam'`` in Keras: learning rate 1e-3 and epsilon 1e-7 (PyTorch's is 1e-8)."""
    return torch.optim.Adam(parameters, lr=1e-3, eps=1e-7)


class ReluLSTM(torch.nn.Module):
    """An LSTM layer with relu as its activation, which ``nn.LSTM`` cannot be: an explicit cell
    loop over the timesteps, with one input product for all of them, as a competent PyTorch user
    writes it. Keras's initialisation; returns every timestep's ``h``, ``(batch, T, units)``."""

    def __init__(self, input_size: int, units: int) -> None:
        super().__init__()
        self.units = units
        # An nn.LSTM only to hold Keras-initialised weights in PyTorch's layout.
        holder = torch.nn.LSTM(input_size, units, batch_first=True)
        keras_init_lstm(holder)
        self.weight_ih = torch.nn.Parameter(holder.weight_ih_l0.detach().T.contiguous())
        self.weight_hh = torch.nn.Parameter(holder.weight_hh_l0.detach().T.contiguous())
        self.bias = torch.nn.Parameter(holder.bias_ih_l0.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = self.units
        projected = torch.addmm(self.bias, x.flatten(0, 1), self.weight_ih).view(
            x.shape[0], x.shape[1], 4 * u
        )
        h = c = x.new_zeros(x.shape[0], u)
        outputs = []
        for t in range(x.shape[1]):
            z = torch.addmm(projected[:, t], h, self.weight_hh)
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.relu(g)
            h = torch.sigmoid(o) * torch.relu(c)
            outputs.append(h)
        return torch.stack(outputs, dim=1)
