"""Tensor operations behind the layers; :mod:`lstmkit.ops.recurrent` holds the gate math."""
