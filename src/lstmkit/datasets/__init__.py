"""Real datasets shipped inside the package (see README.md here); load them with
:func:`lstmkit.data.load_dataset`."""
