"""Loopline: the Flask application factory (`flask --app saas ...`)."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from saas import config as app_config
from saas.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(app_config.INSTANCE_DIR),
        template_folder=str(app_config.PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(app_config.from_env())
    if overrides:
        app.config.from_mapping(overrides)
    app_config.INSTANCE_DIR.mkdir(exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from saas import observability

    observability.init_sentry(app)
    _init_extensions(app)
    _register_web(app)
    _register_cli(app)

    from worker import dispatch

    dispatch.install()
    return app


def _init_extensions(app: Flask) -> None:
    import billing.usage  # noqa: F401  (models must be imported before Alembic looks)
    import saas.feedback.models  # noqa: F401
    import saas.outbox  # noqa: F401
    import tenants.models  # noqa: F401
    from saas.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app_config.PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)


def _register_web(app: Flask) -> None:
    from saas.web import account, auth, categories, customers, errors, improvements, main, onboarding, responses, security, settings, survey, tasks, team, touchpoints
    from saas.web.context import install_request_context

    install_request_context(app)
    security.install(app)
    errors.install(app)
    for blueprint in (main.bp, auth.bp, account.bp, team.bp, survey.bp, touchpoints.bp, settings.bp, responses.bp, onboarding.bp,
                      tasks.bp, categories.bp, customers.bp, improvements.bp):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from saas import cli

    cli.install(app)
