"""Command-line tools: `flask create-admin`, `flask ensure-admin`."""
from __future__ import annotations

import click
from flask import Flask, current_app
from sqlalchemy import select

from app import audit, passwords, settings
from app.extensions import db
from app.models import User


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(ensure_admin)
    from app.billing import cli as billing_cli; billing_cli.register(app)  # noqa: E702


@click.command("ensure-admin")
def ensure_admin() -> None:
    """Create the default administrator `admin` when the site has no administrator yet."""
    if db.session.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)):
        click.echo("An administrator exists.")
        return
    password = current_app.config.get("ADMIN_PASSWORD") or "admin"
    user = User(username="admin", display_name="Administrator", is_admin=True,
                password_hash=passwords.hash_password(password),
                must_change_password=not current_app.config.get("ADMIN_PASSWORD"))
    db.session.add(user)
    db.session.flush()
    audit.record("admin.default_created", target_user=user)
    db.session.commit()
    click.echo("Created the administrator 'admin'"
               + ("." if current_app.config.get("ADMIN_PASSWORD")
                  else " with password 'admin'; it must be changed at first sign-in."))


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", default="", prompt="Email (optional)", show_default=False)
@click.option("--display-name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(username: str, email: str, display_name: str, password: str) -> None:
    """Create another administrator, interactively or from the options."""
    from app.auth.services import name_taken
    from app.forms import USERNAME

    if not USERNAME.match(username):
        raise click.ClickException("Use 3–50 letters, digits, dots, underscores or hyphens.")
    if name_taken(username, email or None):
        raise click.ClickException("Username or email already exists.")
    problem = passwords.password_problem(password, settings.get("password_min_length"),
                                         username, email)
    if problem:
        raise click.ClickException(problem)
    user = User(username=username, email=email or None, display_name=display_name or username,
                is_admin=True, password_hash=passwords.hash_password(password))
    db.session.add(user)
    db.session.flush()
    audit.record("admin.user_created", target_user=user, detail="flask create-admin")
    db.session.commit()
    click.echo(f"Created the administrator {username!r}.")
