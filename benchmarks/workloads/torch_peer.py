"""What the hand-written PyTorch peers share: Keras-matching initialisation."""

from __future__ import annotations

import torch


def keras_init_lstm(lstm: torch.nn.LSTM) -> None:
    """Glorot-uniform input kernel, orthogonal recurrent kernel, zero biases except the forget
    gate's (1), all in the first of PyTorch's two bias vectors, as Keras initialises an LSTM."""
    units = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            w_ih = getattr(lstm, f"weight_ih_l{layer}")
            w_hh = getattr(lstm, f"weight_hh_l{layer}")
            torch.nn.init.xavier_uniform_(w_ih)  # symmetric in fan-in and fan-out
            # Keras makes the (u, 4u) kernel's rows orthonormal; PyTorch holds its transpose.
            w_hh.copy_(torch.nn.init.orthogonal_(torch.empty(units, 4 * units)).T)
            getattr(lstm, f"bias_ih_l{layer}").zero_()[units : 2 * units] = 1.0
            getattr(lstm, f"bias_hh_l{layer}").zero_()


def keras_init_linear(linear: torch.nn.Linear) -> None:
    with torch.no_grad():
        torch.nn.init.xavier_uniform_(linear.weight)
        linear.bias.zero_()
