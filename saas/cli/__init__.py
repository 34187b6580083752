"""`flask create-admin EMAIL`, `flask demo`, `flask categorise`, `flask prepare-categoriser`, `flask sweep` and
`flask billing …`."""
import json
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from billing import stripe_api
from saas.cli.demo import seed_demo
from saas.core.errors import Refusal
from saas.core.extensions import db
from saas.core.urls import absolute_url
from saas.feedback import learned_models, learning
from saas.feedback.categoriser import analyse
from saas.feedback.metrics import METRICS
from saas.feedback.taxonomy import CATEGORY_KEYS
from tenants import billing as tenants_billing
from tenants.services import create_platform_admin, tenant_ids_and_slugs
from worker import jobs


def _what_was_learned(learned: learning.LearnedModel) -> list[str]:
    """Where each category's answers (and needs_action) will come from, and how each source did on the
    training file by cross-validation (learned_models.report, as a business's model is kept): "app" where the
    file had too few examples to judge by, the app's model's join."""
    lines = []
    for key, entry in learned_models.report(learned).items():
        if key == learned_models.TOPIC_GATE:
            continue
        decision = key == learned_models.NEEDS_ACTION
        if entry["source"] == "app":
            lines.append(f"{key}: app, as the app's model {'decides' if decision else 'joins'} it "
                         f"({entry['examples']} of its own: too few to judge by)")
            continue
        measure, scores = ("accuracy", entry["accuracy"]) if decision else ("F1", entry["f1"])
        shown = ", ".join(f"{source} {value:.2f}" for source, value in scores.items())
        lines.append(f"{key}: {entry['source']} ({entry['examples']} examples; {measure} {shown})")
    return lines


def categorise_line(line: str, learned: learning.LearnedModel | None = None, order: tuple = CATEGORY_KEYS) -> dict:
    try:
        item = json.loads(line)
        text, score, metric_key = item["text"], item.get("score"), item.get("metric", "nps")
        locale = item.get("locale")
        if not isinstance(text, str) or metric_key not in METRICS or not isinstance(locale, str | None):
            raise ValueError("text and locale must be strings and metric one of nps, csat, ces")
        if score is not None and not (isinstance(score, int) and METRICS[metric_key].accepts(score)):
            raise ValueError(f"score must be a whole number on the {metric_key} scale")
    except (ValueError, KeyError, TypeError) as error:
        return {"error": str(error) or "expected a JSON object with a text"}
    analysis = analyse(text, score, metric_key, locale=locale)
    if learned is not None and text:  # as the pipeline: an answer without a comment is the rules' alone
        learned.revise(analysis, text, order, score, metric_key)
    return {"categories": analysis.categories, "language": analysis.language, "sentiment": analysis.sentiment,
            "needs_reply": analysis.needs_reply, "needs_action": analysis.needs_action}


def install(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    def create_admin(email):
        """Make EMAIL a platform admin and print a one-time set-password link."""
        try:
            user, link = create_platform_admin(email)
        except Refusal as error:
            raise click.BadParameter(error.message, param_hint="EMAIL") from error
        db.session.commit()
        click.echo(f"{user.email} is a platform admin.")
        click.echo(f"Set the password (link valid 72 h, once): {link}")
        click.echo(f"Then log in and set up two-factor log-in at {absolute_url('account.two_factor_setup')}: "
                   "the admin pages stay closed (a 404) until it is on.")

    @app.cli.command("categorise")
    @click.option("--train", "training", type=click.File(encoding="utf-8"),
                  help='JSON lines {"text", "locale", "categories": [...]} (and "score", "metric", '
                       '"needs_action" where known): learn from them first, as the app learns from a business\'s '
                       "corrections")
    @click.option("--rules-only", is_flag=True,
                  help="The keywords' rules alone, without the app's model (nor --train's).")
    def categorise(training, rules_only):
        """Read JSON lines {"text", "locale", "score", "metric"} on stdin; write one JSON line
        each with the default categories, sentiment, needs_reply and needs_action, as the pipeline finds
        them for a business without corrections: the rules joined with the app's model. With --train, the
        categories (and needs_action, from the lines that give it and that the rules make a task of: where
        a business decides it) come from the rules joined with a model learned from that file, as the
        pipeline joins them for a business with those corrections."""
        if rules_only and training is not None:
            raise click.UsageError("--rules-only and --train exclude each other")
        learned = None if rules_only else learned_models.app_model()
        order = CATEGORY_KEYS
        if training is not None:
            try:
                examples = learning.read_examples(training)
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="--train") from error
            learned = learned_models.train_by_key(examples)
            order = learning.categories_in(examples, CATEGORY_KEYS)
            for line in _what_was_learned(learned):
                click.echo(line, err=True)
        failures = 0
        for line in sys.stdin:  # CliRunner swaps it in tests
            if not line.strip():
                continue
            result = categorise_line(line, learned, order)
            failures += "error" in result
            click.echo(json.dumps(result, ensure_ascii=False))
        if failures:
            raise SystemExit(1)

    @app.cli.command("prepare-categoriser")
    def prepare_categoriser():
        """Make the app's categoriser of this release (once per version: ~35 s) and keep it in the
        database, so that workers read it rather than each train it at start. The Procfile's release
        step and `make run` call it."""
        model = learned_models.prepare_app_model()
        click.echo(f"The app's categoriser is ready: learned from {model.examples:,} shipped comments "
                   f"(version {learned_models.app_model_digest()}).")

    @app.cli.command("sweep")
    def sweep():
        """Run every sweep once (one-click scores, outbox, waiting responses, unfinished improvements,
        deadlines, billing, weekly digests, purges of deleted businesses, learned categorisers due for training):
        for set-ups without `rq cron`."""
        click.echo(json.dumps({
            "score_clicks": jobs.sweep_score_clicks(),
            "messages": jobs.sweep_outbox(), "responses": jobs.sweep_responses(),
            "improvements": jobs.sweep_improvements(), **jobs.sweep_deadlines(), "billing": jobs.sweep_billing(),
            "digests": jobs.sweep_digests(), "purged": jobs.sweep_purges(), "categorisers": jobs.sweep_models(),
        }))

    billing_group = AppGroup("billing", help="The plans in Stripe, and each tenant's subscription from it.")
    app.cli.add_command(billing_group)

    @billing_group.command("setup")
    def billing_setup():
        """Create the products and prices in the Stripe account (STRIPE_SECRET_KEY); running it again
        creates nothing new."""
        created = stripe_api.setup_catalogue()
        click.echo(f"created: {', '.join(created)}" if created else "the catalogue was complete: nothing created")

    @billing_group.command("sync")
    @click.option("--tenant", "slug", help="Only the business with this slug.")
    def billing_sync(slug):
        """Reconcile every tenant with a Stripe customer (or one) from what Stripe says now."""
        synced = tenants_billing.sync_all(slug)
        db.session.commit()
        for tenant_id, _slug, _plan in synced:
            jobs.unlock_responses(tenant_id)
        click.echo(json.dumps({tenant_slug: plan for _id, tenant_slug, plan in synced}))

    stats_group = AppGroup("stats", help="The dashboard's counts.")
    app.cli.add_command(stats_group)

    @stats_group.command("rebuild")
    @click.option("--tenant", "slug", help="Only the business with this slug.")
    def stats_rebuild(slug):
        """Recount the dashboard's numbers from the answers (once after upgrading, or to check)."""
        counted = {}
        for tenant_id, tenant_slug in tenant_ids_and_slugs(slug):
            counted[tenant_slug] = jobs.rebuild_stats(tenant_id)
        click.echo(json.dumps(counted))

    @app.cli.command("demo")
    def demo():
        """Seed the demo business and print its logins (safe to run again)."""
        seed = seed_demo()
        db.session.commit()
        click.echo("Demo business ready. Log in at the app with:")
        for login in seed.logins:
            click.echo(f"  {login.role.value:<6} {login.email}  password: {login.password}")
        click.echo("Its surveys (open them as a customer would):")
        for name, url in seed.survey_urls.items():
            click.echo(f"  {name}: {url}")
