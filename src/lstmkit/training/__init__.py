"""The training loop, its data entry and its callbacks."""
