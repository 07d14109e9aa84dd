"""The real datasets shipped inside the package (``lstmkit/datasets/``, sources in its
README.md)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["DATASETS", "dataset_path", "load_dataset"]

#: name → (file, what it holds)
DATASETS: dict[str, tuple[str, str]] = {
    "airline": ("airline.csv", "monthly airline passengers (thousands), 1949-01 … 1960-12"),
    "shampoo": ("shampoo_sales.csv", "monthly shampoo sales over three years"),
    "uschange": ("uschange.csv", "quarterly % changes of US consumption, income, … 1970-2016"),
}


def dataset_path(name: str) -> Path:
    """The CSV file of a shipped dataset."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; the datasets are {sorted(DATASETS)}")
    return Path(str(resources.files("lstmkit.datasets").joinpath(DATASETS[name][0])))


def load_dataset(name: str) -> pd.DataFrame:
    """A shipped dataset as a DataFrame, columns as in its CSV (dates left as text):
    airline ``Date, Passengers`` (144 rows); shampoo ``Time, Sales`` (36); uschange
    ``Quarter, Consumption, Income, Production, Savings, Unemployment`` (187)."""
    frame = pd.read_csv(dataset_path(name))
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed")]
    return frame.drop(columns=unnamed)
