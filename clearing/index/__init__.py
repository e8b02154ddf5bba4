"""Index sources: a simulated two-factor index and a user-supplied CSV series."""

from clearing.index.base import IndexNotPublished, IndexSource, PublishedSeries
from clearing.index.csv_source import CsvIndex, IndexDataError, MissingDayRule
from clearing.index.model import Factor, IndexModel
from clearing.index.simulate import IndexPaths, Shock, SimulatedIndex, simulate_paths

__all__ = [
    "CsvIndex",
    "Factor",
    "IndexDataError",
    "IndexModel",
    "IndexNotPublished",
    "IndexPaths",
    "IndexSource",
    "MissingDayRule",
    "PublishedSeries",
    "Shock",
    "SimulatedIndex",
    "simulate_paths",
]
