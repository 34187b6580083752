"""TF-IDF fitted on documents most of which were counted before: what TfidfVectorizer.fit_transform gives,
exactly, without analysing again the documents a process keeps counted (the shipped comments, two thirds
of what a business's model is fitted on, took a third of the time it trained).

Counting (scikit-learn's CountVectorizer, in Python) is the slow part of fitting a vocabulary; choosing the
terms kept (min_df, max_df, max_features) and weighting them (TfidfTransformer) are fast array work. So
the documents counted once keep their counts over every term they have, and a fit counts only the others,
merges the two over the union of their terms in scikit-learn's order (sorted), then chooses and weighs
the terms as TfidfVectorizer.fit_transform does (tests/test_learning.py compares the two).

Imports scikit-learn and NumPy when used, as learning.py does: web processes never fit.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from numbers import Integral


class CountedDocuments:
    """Documents counted once by a vectorizer's analysis (`template`: an unfitted TfidfVectorizer, which
    fit_transform clones), to be fitted with others again and again."""

    def __init__(self, template, documents: Sequence[str]) -> None:
        self.template = template
        self.row_of = {document: row for row, document in enumerate(dict.fromkeys(documents))}  # each once
        self.terms, counts = _counted(template, list(self.row_of))
        self.counts = counts.astype("float32")  # whole numbers, exact in a float32: a sixth less memory

    def fit_transform(self, documents: Sequence[str]):
        """A clone of the template fitted on `documents`, and their TF-IDF matrix: what the clone's
        fit_transform(documents) gives."""
        from scipy.sparse import vstack
        from sklearn.base import clone
        from sklearn.feature_extraction.text import TfidfTransformer

        rows = [self.row_of.get(document) for document in documents]
        fresh = [document for document, row in zip(documents, rows) if row is None]
        fresh_terms, fresh_counts = _counted(self.template, fresh)
        terms, counted_columns, fresh_columns = _merged(self.terms, fresh_terms)
        known = [row for row in rows if row is not None]
        stacked = vstack([_over(self.counts[known].astype("float64"), counted_columns, len(terms)),
                          _over(fresh_counts, fresh_columns, len(terms))], format="csr")
        counts = stacked[_in_order(rows)]
        kept = _kept_terms(counts, self.template)
        vectorizer = clone(self.template)
        weights = TfidfTransformer(norm=vectorizer.norm, use_idf=vectorizer.use_idf, smooth_idf=vectorizer.smooth_idf,
                                   sublinear_tf=vectorizer.sublinear_tf)
        matrix = weights.fit_transform(counts[:, kept])
        vectorizer.vocabulary_ = {terms[column]: index for index, column in enumerate(kept.tolist())}
        vectorizer.idf_ = weights.idf_  # scikit-learn's setter: the vectorizer's own TfidfTransformer gets it
        return vectorizer, matrix


def _counted(template, documents: list[str]):
    """The documents' terms (sorted) and their counts (float64, as TfidfVectorizer counts), one row each."""
    import numpy
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import CountVectorizer

    if not documents:
        return [], csr_matrix((0, 0), dtype=numpy.float64)
    counter = CountVectorizer(analyzer=template.build_analyzer(), dtype=numpy.float64)
    try:
        counts = counter.fit_transform(documents)
    except ValueError:  # CountVectorizer's "empty vocabulary": none of the documents has a term
        return [], csr_matrix((len(documents), 0), dtype=numpy.float64)
    terms = sorted(counter.vocabulary_)
    order = numpy.array([counter.vocabulary_[term] for term in terms], dtype=numpy.int64)
    return terms, counts[:, order]


def _merged(counted: list[str], fresh: list[str]):
    """The union of two sorted lists of terms, sorted, and where each list's terms lie in it. Only the fresh
    terms are looked up (bisected into the counted ones): the counted are ~200,000, the fresh far fewer."""
    import numpy

    places = [bisect_left(counted, term) for term in fresh]
    found = [place < len(counted) and counted[place] == term for place, term in zip(places, fresh)]
    new = [term for term, there in zip(fresh, found) if not there]
    before = numpy.array([place for place, there in zip(places, found) if not there], dtype=numpy.int64)
    # A counted term moves right by the new terms sorted before it; the new ones land between.
    counted_columns = numpy.arange(len(counted)) + numpy.searchsorted(before, numpy.arange(len(counted)), "right")
    new_columns = iter((before + numpy.arange(len(new))).tolist())
    fresh_columns = numpy.array([counted_columns[place] if there else next(new_columns)
                                 for place, there in zip(places, found)], dtype=numpy.int64)
    terms = sorted(counted + new)  # two sorted runs: merged, not sorted again
    return terms, counted_columns, fresh_columns


def _over(counts, columns, width: int):
    """`counts` with its columns moved to `columns` of `width` (in the same order: each row stays sorted)."""
    from scipy.sparse import csr_matrix

    return csr_matrix((counts.data, columns[counts.indices], counts.indptr), shape=(counts.shape[0], width))


def _in_order(rows: list[int | None]):
    """Where each document's row lies in the known rows stacked over the fresh ones."""
    import numpy

    known = [position for position, row in enumerate(rows) if row is not None]
    fresh = [position for position, row in enumerate(rows) if row is None]
    return numpy.argsort(numpy.array(known + fresh, dtype=numpy.int64))


def _kept_terms(counts, template):
    """The columns TfidfVectorizer keeps: those in at least min_df and at most max_df documents, of them
    the max_features most frequent, in the same order and with the same ties as its _limit_features."""
    import numpy

    documents = counts.shape[0]
    frequencies = numpy.bincount(counts.indices, minlength=counts.shape[1])
    most = template.max_df if isinstance(template.max_df, Integral) else template.max_df * documents
    least = template.min_df if isinstance(template.min_df, Integral) else template.min_df * documents
    mask = (frequencies <= most) & (frequencies >= least) & (frequencies > 0)  # 0: only in documents not fitted
    limit = template.max_features
    if limit is not None and mask.sum() > limit:
        totals = numpy.asarray(counts.sum(axis=0)).ravel()
        best = numpy.flatnonzero(mask)[(-totals[mask]).argsort()[:limit]]
        mask = numpy.zeros(len(mask), dtype=bool)
        mask[best] = True
    kept = numpy.flatnonzero(mask)
    if not len(kept):
        raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
    return kept
