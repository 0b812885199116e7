"""`flask billing-setup`: the products and prices of a Stripe test account, once."""

from __future__ import annotations

import click
from flask import Flask, current_app

from app.billing import gateway

DEFAULT_AMOUNTS = {
    ("solo", "month"): 900,
    ("solo", "year"): 9000,
    ("team", "month"): 800,
    ("team", "year"): 8000,
}


def register(app: Flask) -> None:
    app.cli.add_command(billing_setup)


@click.command("billing-setup")
@click.option("--currency", default=None, help="Three-letter currency (default STRIPE_CURRENCY).")
def billing_setup(currency: str | None) -> None:
    """Create Solo and Team prices (monthly and yearly) and print the STRIPE_PRICE_ lines.

    Uses STRIPE_SECRET_KEY (a test key) and STRIPE_API_BASE when set. Amounts come from
    STRIPE_PRICE_*_AMOUNT (cents) or the defaults.
    """
    if not gateway.configured():
        raise click.ClickException("Set STRIPE_SECRET_KEY (a test key) first.")
    currency = (currency or current_app.config.get("STRIPE_CURRENCY") or "eur").lower()
    lines, products = [], {}
    for (plan, interval), default in DEFAULT_AMOUNTS.items():
        key = f"STRIPE_PRICE_{plan.upper()}_{interval.upper()}"
        amount = str(current_app.config.get(f"{key}_AMOUNT") or default)
        if not amount.isdigit():
            raise click.ClickException(f"{key}_AMOUNT must be a whole number of cents.")
        try:
            if plan not in products:
                products[plan] = gateway.create_product(f"Gatehouse {plan.title()}")
            price = gateway.create_price(
                products[plan], int(amount), currency, interval, f"gatehouse_{plan}_{interval}"
            )
        except gateway.GatewayError as exc:
            raise click.ClickException(str(exc)) from None
        lines += [f"{key}={price}", f"{key}_AMOUNT={amount}"]
    click.echo("# Add these lines to the environment or .env:")
    click.echo(f"STRIPE_CURRENCY={currency}")
    for line in lines:
        click.echo(line)
