"""Helpers for online learners: river's ``learn_one`` and scikit-learn's ``partial_fit``.

river::

    for x, y in feed.xy():
        model.learn_one(x, y)

scikit-learn::

    streamsmote.partial_fit(SGDClassifier(), feed, classes=["fraud", "legit"], batch_size=256)
    # or, batch by batch:
    for batch in feed.batches(256):
        model.partial_fit(batch.X, batch.y, classes=classes)

numpy is imported only here (``pip install 'streamsmote[numpy]'``, or have scikit-learn).
"""
from __future__ import annotations

from typing import Iterable, Iterator, List, NamedTuple, Optional, Sequence

from .sample import Sample

__all__ = ["Batch", "batches", "partial_fit"]


class Batch(NamedTuple):
    """A mini-batch: ``X`` (n × features), ``y`` (n labels, strings), ``synthetic``
    (n booleans) as numpy arrays, and the samples themselves."""

    X: "object"
    y: "object"
    synthetic: "object"
    samples: List[Sample]


def _batch(samples: List[Sample], dtype) -> Batch:
    import numpy as np

    X = np.array([s.features for s in samples], dtype=dtype)
    if X.ndim != 2:
        raise ValueError("samples in one batch have different numbers of features")
    y = np.array([s.label for s in samples], dtype=object)
    synthetic = np.fromiter((s.synthetic for s in samples), dtype=bool, count=len(samples))
    return Batch(X, y, synthetic, samples)


def batches(samples: Iterable[Sample], size: int = 256, *, dtype=float) -> Iterator[Batch]:
    """Groups ``samples`` (a Feed, or any iterable of samples) into batches of ``size``;
    the last one may be smaller (when the feed ends on ``timeout`` or ``max_events``)."""
    if size < 1:
        raise ValueError("size must be at least 1")
    pending: List[Sample] = []
    for sample in samples:
        pending.append(sample)
        if len(pending) == size:
            yield _batch(pending, dtype)
            pending = []
    if pending:
        yield _batch(pending, dtype)


def partial_fit(model, samples: Iterable[Sample], classes: Sequence, batch_size: int = 256, *,
                synthetic_weight: Optional[float] = None) -> int:
    """Trains a scikit-learn estimator with ``partial_fit`` on mini-batches until the feed
    ends; returns the number of samples learned.

    Args:
        model: an estimator with ``partial_fit(X, y, classes=…[, sample_weight=…])``.
        samples: a Feed (give it a ``timeout`` or ``max_events`` so that it ends) or any
            iterable of samples.
        classes: every label the model will see (scikit-learn needs them on the first call);
            labels are strings.
        batch_size: samples per ``partial_fit`` call.
        synthetic_weight: weight of synthetic samples relative to real ones (1 for real),
            passed as ``sample_weight``; None: no weights.
    """
    import numpy as np

    classes = np.array([str(c) for c in classes], dtype=object)
    learned = 0
    for batch in batches(samples, batch_size):
        if synthetic_weight is None:
            model.partial_fit(batch.X, batch.y, classes=classes)
        else:
            weight = np.where(batch.synthetic, float(synthetic_weight), 1.0)
            model.partial_fit(batch.X, batch.y, classes=classes, sample_weight=weight)
        learned += len(batch.samples)
    return learned
