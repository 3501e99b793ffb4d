"""The linkage engine: Splink settings, unsupervised training and scoring of person records.

No Django models here.

Splink 5 on its embedded DuckDB backend does the linkage; this package holds the settings (``settings``), the
normalisation of records into the columns Splink compares (``records``), training without labels (``model``),
scoring and incremental scoring (``scoring``), clusters (``clusters``) and the CSV contract of
``shopwatch link evaluate`` (``evaluate``). See docs/linking.md.
"""

from shopwatch.linking.engine.model import LinkModel, train_model
from shopwatch.linking.engine.records import FieldWeight, PersonRecord, ScoredPair
from shopwatch.linking.engine.scoring import ScoringIndex, score_all
from shopwatch.linking.engine.settings import MODEL_VERSION, PROPOSAL_THRESHOLD

__all__ = [
    "MODEL_VERSION",
    "PROPOSAL_THRESHOLD",
    "FieldWeight",
    "LinkModel",
    "PersonRecord",
    "ScoredPair",
    "ScoringIndex",
    "score_all",
    "train_model",
]
