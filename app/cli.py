"""Command-line tools: `flask create-admin`, `flask ensure-admin` (and `flask billing-setup`)."""

from __future__ import annotations

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from sqlalchemy import select

from app import audit, passwords, settings
from app.extensions import db, utcnow
from app.models import User


def register(app: Flask) -> None:
    from app.billing import cli as billing_cli

    app.cli.add_command(create_admin)
    app.cli.add_command(ensure_admin)
    billing_cli.register(app)


@click.command("ensure-admin")
def ensure_admin() -> None:
    """Create the default administrator `admin` when the site has no administrator yet."""
    from app.auth.services import name_taken

    if db.session.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)):
        click.echo("An administrator exists.")
        return
    if name_taken("admin"):
        raise click.ClickException(
            "A user 'admin' already exists but is not an administrator; "
            "make one with `flask create-admin`."
        )
    chosen = current_app.config.get("ADMIN_PASSWORD")
    user = User(
        username="admin",
        display_name="Administrator",
        is_admin=True,
        password_hash=passwords.hash_password(chosen or "admin"),
        must_change_password=not chosen,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("admin.default_created", target_user=user)
    db.session.commit()
    click.echo(
        "Created the administrator 'admin'"
        + ("." if chosen else " with password 'admin'; it must be changed at first sign-in.")
    )


def _checked_email(email: str) -> str | None:
    if not email:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.ClickException(f"Invalid email: {exc}") from None


def _check_new_admin(username: str, email: str | None, display_name: str, password: str) -> None:
    from app.auth.services import name_taken
    from app.forms import USERNAME

    if not USERNAME.match(username):
        raise click.ClickException("Use 3–50 letters, digits, dots, underscores or hyphens.")
    if name_taken(username, email):
        raise click.ClickException("Username or email already exists.")
    problem = passwords.password_problem(
        password, settings.get("password_min_length"), username, email or "", display_name
    )
    if problem:
        raise click.ClickException(problem)


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", default="", prompt="Email (optional)", show_default=False)
@click.option("--display-name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(username: str, email: str, display_name: str, password: str) -> None:
    """Create another administrator, interactively or from the options."""
    address = _checked_email(email.strip())
    _check_new_admin(username, address, display_name, password)
    user = User(
        username=username,
        email=address,
        # The operator at the server's console vouches for it, as an admin could on the page.
        email_verified_at=utcnow() if address else None,
        display_name=display_name or username,
        is_admin=True,
        password_hash=passwords.hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("admin.user_created", target_user=user, detail="flask create-admin")
    db.session.commit()
    click.echo(f"Created the administrator {username!r}.")
