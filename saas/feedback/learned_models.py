"""Each business's learned categoriser: trained from its corrections by a job, stored versioned in the
database, loaded lazily by each worker process (and looked up again at most every CHECK_SECONDS), and
joined with the rules in the pipeline (saas.feedback.learning says how)."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from flask import has_app_context
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from saas.core.config import INSTANCE_DIR
from saas.core.extensions import db
from saas.core.timeutil import as_utc, utcnow
from saas.feedback import corrections, learning
from saas.feedback.categories import categories, rules_for
from saas.feedback.categoriser import CategoryRule, analyse
from saas.feedback.models import AppCategoriser, CategoryModel, Correction
from tenants.models import Tenant

RETRAIN_EVERY = 20  # new corrections that call for a new model
RETRAIN_AFTER = timedelta(hours=24)  # and at least daily while corrections come in
KEEP_VERSIONS = 3
CHECK_SECONDS = 60
# Models kept per process, the least recently used dropped first: each takes ~11 MB of memory (a ~4 MB
# pickle, loaded again in ~15 ms when it is needed after being dropped).
MAX_LOADED = 20
NEEDS_ACTION = "needs_action"  # the decision's entry in a version's report, beside the categories' ids
TOPIC_GATE = "topic_gate"  # and the topic gate's threshold (learning.TopicGate; 0.0: none)
APP_MODEL_DIR = INSTANCE_DIR / "cache"
# What the app's model is made of besides the categoriser's code and shipped comments (app_model_digest).
APP_MODEL_LIBRARIES = ("scikit-learn", "scipy", "numpy", "pymorphy3", "pymorphy3-dicts-ru", "pymorphy3-dicts-uk",
                       "simplemma")
log = logging.getLogger(__name__)
_loaded: dict[int, tuple[float, int | None, learning.LearnedModel | None]] = {}


def train_for(tenant: Tenant) -> CategoryModel | None:
    """A new version from all the business's corrections (None below learning.MIN_EXAMPLES); the caller
    commits. Older versions beyond KEEP_VERSIONS go."""
    rows = corrections.labelled(tenant.id)
    if len(rows) < learning.MIN_EXAMPLES:
        return None
    business_categories = categories(tenant)
    rules = rules_for(business_categories)
    examples = [learning.Example(row.comment or "", row.locale, frozenset(row.category_ids))
                for row in rows if row.category_ids is not None]
    decisions = [learning.Example(row.comment, row.locale, frozenset(), row.score, row.metric, row.needs_action)
                 for row in rows if row.needs_action is not None and row.comment]
    by_key = {category.key: category.id for category in business_categories if category.key}
    prior = learning.corpus_for(by_key)
    app = app_model().for_categories(with_app_keywords(rules))
    started = time.perf_counter()
    model = learning.train(examples, lambda example: analyse(example.text, example.score, example.metric,
                                                             rules=rules, locale=example.locale),
                           prior=prior, decisions=decisions, **app.own_defaults())
    model = replace(model, keywords_read={rule.ident: keywords_digest(rule) for rule in rules})
    seconds = time.perf_counter() - started
    version = (db.session.scalar(select(func.max(CategoryModel.version))
                                 .where(CategoryModel.tenant_id == tenant.id)) or 0) + 1
    stored = CategoryModel(
        tenant_id=tenant.id, version=version, trained_at=utcnow(), examples=len(rows),
        corrections_until=rows[-1].corrected_at, seconds=round(seconds, 3), blob=pickle.dumps(model),
        report=report(model))
    db.session.add(stored)
    db.session.execute(delete(CategoryModel).where(CategoryModel.tenant_id == tenant.id,
                                                   CategoryModel.version <= version - KEEP_VERSIONS))
    return stored


def report(model: learning.LearnedModel) -> dict:
    """Per category id, and for "needs_action", where the answers come from and how each source did; under
    "topic_gate", the gate's threshold."""
    read = model.keywords_read or {}
    found = {str(ident): {"source": _source(quality), "examples": quality.examples,
                          "f1": {source: round(f1, 3) for source, f1 in quality.f1.items()},
                          "keywords": read.get(ident)}
             for ident, quality in model.quality.items()}
    if model.action is not None:
        found[NEEDS_ACTION] = {"source": _decision_source(model.action), "examples": model.action.examples,
                               "accuracy": {source: round(accuracy, 3)
                                            for source, accuracy in model.action.accuracy.items()}}
    found[TOPIC_GATE] = model.gate()
    return found


def _source(quality: learning.CategoryQuality) -> str:
    """rules | learned | both, or app: too few of the business's corrections of it to choose, the app's
    join (learning.train's defaults)."""
    if quality.examples < learning.MIN_POSITIVES and quality.source != "rules":
        return "app"
    return quality.source


def _decision_source(action: learning.LearnedDecision) -> str:
    """As _source, for "needs an action": app while the business's decisions are too few either way."""
    return action.source if action.own_join else "app"


def latest(tenant_id: int) -> CategoryModel | None:
    """The newest version's row, without its model."""
    return db.session.scalar(select(CategoryModel).where(CategoryModel.tenant_id == tenant_id)
                             .order_by(CategoryModel.version.desc()).limit(1))


def current(tenant_id: int) -> learning.LearnedModel | None:
    """The business's newest model, loaded once per process and version (while among the MAX_LOADED
    businesses last asked for)."""
    now = time.monotonic()
    checked, version, model = _loaded.pop(tenant_id, (0.0, None, None))
    if now - checked >= CHECK_SECONDS:
        newest = db.session.scalar(select(func.max(CategoryModel.version))
                                   .where(CategoryModel.tenant_id == tenant_id))
        if newest != version:
            blob = db.session.scalar(select(CategoryModel.blob).where(CategoryModel.tenant_id == tenant_id,
                                                                      CategoryModel.version == newest))
            model = _unpickled(blob, tenant_id, newest)
        checked, version = now, newest
    _loaded[tenant_id] = (checked, version, model)  # a dict keeps order: the last asked for is last
    while len(_loaded) > MAX_LOADED:
        del _loaded[next(iter(_loaded))]
    return model


def for_business(tenant_id: int, rules: list[CategoryRule]) -> learning.LearnedModel:
    """The model the business's answers are categorised with (`rules`: its categories as rules_for reads
    them): its own, but for the categories whose keywords changed since it was trained (keywords_changed),
    or until it has one the app's, for its default categories whose keywords are still the app's."""
    own = current(tenant_id)
    if own is not None:
        return own.leaving_to_the_rules(keywords_changed(own.keywords_read, rules))
    return app_model().for_categories(with_app_keywords(rules))


def keywords_changed(read: dict | None, rules: list[CategoryRule]) -> set:
    """The categories whose keywords are not those a model read when it was trained (`read`: ident ->
    keywords_digest; None, in models stored before, tells nothing): until the next training, the owner's
    words decide them, as they decide a default category whose words the owner changed before the
    business had a model of its own (with_app_keywords)."""
    if not read:
        return set()
    return {rule.ident for rule in rules if rule.ident in read and read[rule.ident] != keywords_digest(rule)}


def keywords_changed_since(stored: CategoryModel | None, rules: list[CategoryRule]) -> set:
    """keywords_changed, for a stored version (its report keeps what the model read)."""
    if stored is None:
        return set()
    read = {int(key): entry["keywords"] for key, entry in stored.report.items()
            if key.isdigit() and entry.get("keywords")}
    return keywords_changed(read, rules)


@lru_cache(maxsize=1024)
def keywords_digest(rule: CategoryRule) -> str:
    """What a category's rule reads, in short: the owner's own words and the default ones taken out."""
    words = json.dumps([sorted(rule.keywords), sorted(rule.dropped)], ensure_ascii=False)
    return hashlib.sha256(words.encode()).hexdigest()[:16]


def with_app_keywords(rules: list[CategoryRule]) -> dict:
    """A default category's key -> its id, for those whose keywords the owner has not changed. The app's
    model was joined with the app's keywords; an owner's own words are the owner's (the model would drop a
    word it never saw the rules find), until the business's corrections teach otherwise."""
    return {rule.key: rule.ident for rule in rules if rule.key and not rule.keywords and not rule.dropped}


def train_by_key(examples: list[learning.Example], prior=None) -> learning.LearnedModel:
    """The model a business with these corrections (the default categories by key; `prior`: the shipped
    comments unless given) would have, its decision learned from those the rules make a task of: what
    `flask categorise --train` and the bench train."""
    app = app_model()
    return learning.train(examples, prior=learning.corpus() if prior is None else prior,
                          decisions=learning.tasks_among(examples), **app.own_defaults())


@lru_cache(maxsize=1)
def app_model() -> learning.LearnedModel:
    """The app's own model (learning.train_app_model), made once for each version of the categoriser (what
    app_model_digest names): read from this machine's APP_MODEL_DIR, else from the database, where `flask
    prepare-categoriser` keeps it at release, else trained (~1 min) and kept in both. The database is asked
    only within an app context (a worker's, a command's); without one, the file or training."""
    digest = app_model_digest()
    path = APP_MODEL_DIR / f"app-categoriser-{digest}.pickle"
    model = _unpickled_app_model(_read_bytes(path), path)
    if model is not None:
        return model
    blob = _stored(AppCategoriser.blob, digest)
    model = _unpickled_app_model(blob, "the database")
    if model is None:
        log.info("training the app's categoriser from the shipped comments")
        model = learning.train_app_model()
        blob = pickle.dumps(model)
        _store_app_model(digest, blob, model)
    _write_atomically(path, blob)
    for older in APP_MODEL_DIR.glob("app-categoriser-*.pickle"):
        if older != path:
            older.unlink(missing_ok=True)
    return model


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _unpickled_app_model(blob: bytes | None, where: object) -> learning.LearnedModel | None:
    """None where there is none, or it cannot be read (it is made again: never a worker that cannot start)."""
    if blob is None:
        return None
    try:
        return pickle.loads(blob)  # noqa: S301 - written by app_model, by this app only
    except Exception:  # noqa: BLE001
        log.warning("the app's categoriser in %s cannot be read; it is made again", where, exc_info=True)
        return None


def _stored(column, digest: str):
    """`column` of this version's row (None without one), on a connection of its own, as _store_app_model:
    the caller's session (a job's, run inline in a request in the embedded mode) is never committed nor
    rolled back here."""
    if not has_app_context():
        return None
    try:
        with db.engine.connect() as connection:
            return connection.scalar(select(column).where(AppCategoriser.digest == digest))
    except SQLAlchemyError as error:  # a database not migrated yet, or not reachable: the model is trained here
        log.warning("the app's categoriser could not be read from the database: %s", _first_line(error))
        return None


def prepare_app_model() -> learning.LearnedModel:
    """The app's model of this release, kept in the database for every worker on every machine (`flask
    prepare-categoriser`, at release), also where this machine had it already."""
    model = app_model()
    digest = app_model_digest()
    if _stored(AppCategoriser.digest, digest) is None:
        _store_app_model(digest, pickle.dumps(model), model)
    return model


def app_topic_gate() -> float | None:
    """The topic gate's threshold of the app's model of this release (0.0: none), read without loading the
    model (a web process never loads scikit-learn); None until the model is kept in the database."""
    return _stored(AppCategoriser.topic_gate, app_model_digest())


def _store_app_model(digest: str, blob: bytes, model: learning.LearnedModel) -> None:
    """Kept for every other process, with the KEEP_VERSIONS newest before it (a worker of the previous
    release may still be running); another process storing the same version at once changes nothing."""
    if not has_app_context():
        return
    table = AppCategoriser.__table__
    try:
        with db.engine.begin() as connection:
            connection.execute(table.insert().values(digest=digest, trained_at=utcnow(), examples=model.examples,
                                                     topic_gate=model.gate(), blob=blob))
            kept = select(table.c.digest).order_by(table.c.trained_at.desc()).limit(KEEP_VERSIONS)
            connection.execute(delete(table).where(table.c.digest.not_in(kept)))
    except SQLAlchemyError as error:
        log.warning("the app's categoriser could not be kept in the database: %s", _first_line(error))


def _first_line(error: SQLAlchemyError) -> str:
    """What the database said, without the statement and traceback SQLAlchemy adds (a database not migrated
    yet is an expected state, not a fault to investigate)."""
    said = str(getattr(error, "orig", None) or error).strip()
    return said.splitlines()[0] if said else type(error).__name__


@lru_cache(maxsize=1)
def app_model_digest() -> str:
    """What the app's model depends on: the categoriser's code (the feedback package's modules), the
    shipped comments and the libraries' versions. Read once per process (~11 ms of files hashed): none of
    them changes under a running process, and the Categories page asks for it on every view."""
    digest = hashlib.sha256()
    package = Path(learning.__file__).parent
    for path in sorted([*package.glob("*.py"), *learning.CORPUS.glob("*.jsonl")]):
        digest.update(path.name.encode() + path.read_bytes())
    for library in APP_MODEL_LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.hexdigest()[:16]


def _write_atomically(path: Path, content: bytes) -> None:
    """Several processes may train at once: each renames its whole file into place. A directory that cannot
    be written costs only the training again in the next process."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".app-categoriser-")
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except OSError:
        log.warning("the app's categoriser could not be kept in %s", path.parent, exc_info=True)


def _unpickled(blob: bytes | None, tenant_id: int, version: int | None) -> learning.LearnedModel | None:
    """The stored model, or None (the rules alone) if it cannot be read, e.g. after a scikit-learn upgrade:
    the next training replaces it."""
    if blob is None:
        return None
    try:
        return pickle.loads(blob)  # noqa: S301 - written by train_for, read by this app only
    except Exception:  # noqa: BLE001 - any failure to load means "no model", never a failed pipeline
        log.warning("learned categoriser %s of tenant %s cannot be loaded; rules alone", version, tenant_id,
                    exc_info=True)
        return None


def forget_loaded() -> None:
    _loaded.clear()


def due_for_training(now: datetime | None = None) -> list[int]:
    """Businesses with RETRAIN_EVERY corrections since their model (or enough for a first one), or any new
    correction and a model older than RETRAIN_AFTER: one query over the corrections newer than each
    business's newest model."""
    now = now or utcnow()
    newest = (select(func.max(CategoryModel.version)).where(CategoryModel.tenant_id == Correction.tenant_id)
              .correlate(Correction).scalar_subquery())
    rows = db.session.execute(
        select(Correction.tenant_id, func.count(Correction.id), func.max(CategoryModel.trained_at))
        .outerjoin(CategoryModel, and_(CategoryModel.tenant_id == Correction.tenant_id,
                                       CategoryModel.version == newest))
        .where(corrections.IS_LABELLED,
               or_(CategoryModel.id.is_(None), Correction.corrected_at > CategoryModel.corrections_until))
        .group_by(Correction.tenant_id)).all()
    due = []
    for tenant_id, fresh, trained_at in rows:
        if trained_at is None:
            if fresh >= learning.MIN_EXAMPLES:
                due.append(tenant_id)
        elif fresh >= RETRAIN_EVERY or now - as_utc(trained_at) >= RETRAIN_AFTER:
            due.append(tenant_id)
    return due
