"""The Flask application factory (`flask --app saas.app ...`, gunicorn `saas.app:create_app()`), the top
of the stack: it wires the extensions, the web layer, the CLI and the outbox's dispatch into one app."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

# Every model module, so the metadata is complete before Alembic or the tenant scope looks at it.
import billing.usage  # noqa: F401
import saas.core.outbox  # noqa: F401
import saas.core.sweep_runs  # noqa: F401
import saas.feedback.models  # noqa: F401
import tenants.models  # noqa: F401
from saas import cli
from saas.core import config as app_config
from saas.core import observability
from saas.core.extensions import babel, db, migrate
from saas.web import (
    account,
    admin,
    admin_operations,  # noqa: F401 - its routes are admin.bp's
    admin_tenants,  # noqa: F401 - its routes are admin.bp's
    auth,
    billing,
    categories,
    converters,
    customers,
    errors,
    impersonation,
    improvements,
    main,
    onboarding,
    responses,
    security,
    settings,
    survey,
    tasks,
    team,
    touchpoints,
)
from saas.web.context import install_request_context, select_locale
from saas.web.extensions import csrf, limiter, login_manager
from worker import dispatch

BLUEPRINTS = (main, auth, account, team, survey, touchpoints, settings, responses, onboarding, tasks, categories,
              customers, improvements, billing, admin)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(app_config.INSTANCE_DIR),
        template_folder=str(app_config.TEMPLATES_DIR),
        static_folder="static",
    )
    app.config.from_mapping(app_config.from_env())
    if overrides:
        app.config.from_mapping(overrides)
    app_config.require_real_secret_key(app.config)
    app_config.INSTANCE_DIR.mkdir(exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    observability.init_sentry(app)
    _init_extensions(app)
    _register_web(app)
    cli.install(app)
    dispatch.install()
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app_config.MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)


def _register_web(app: Flask) -> None:
    converters.install(app)
    impersonation.install(app)
    install_request_context(app)
    security.install(app)
    errors.install(app)
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
