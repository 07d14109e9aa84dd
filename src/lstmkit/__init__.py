"""lstmkit: Keras-faithful LSTM sequence models on a fast PyTorch engine."""
