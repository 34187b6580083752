"""`flask create-admin EMAIL` and `flask demo`."""
import click
from flask import Flask

from saas.extensions import db
from tenants.services import AccountError, create_platform_admin


def install(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.argument("email")
    def create_admin(email):
        """Make EMAIL a platform admin and print a one-time set-password link."""
        try:
            user, link = create_platform_admin(email)
        except AccountError as error:
            raise click.BadParameter(error.message, param_hint="EMAIL") from error
        db.session.commit()
        click.echo(f"{user.email} is a platform admin.")
        click.echo(f"Set the password (link valid 72 h, once): {link}")

    @app.cli.command("demo")
    def demo():
        """Seed the demo business and print its logins (safe to run again)."""
        from saas.demo import seed_demo

        seed = seed_demo()
        db.session.commit()
        click.echo("Demo business ready. Log in at the app with:")
        for login in seed.logins:
            click.echo(f"  {login.role.value:<6} {login.email}  password: {login.password}")
        click.echo("Its surveys (open them as a customer would):")
        for name, url in seed.survey_urls.items():
            click.echo(f"  {name}: {url}")
