from __future__ import annotations

import logging

from flask import abort, current_app, redirect, render_template, request
from flask_login import current_user, login_required

from app.billing import bp, event_shape, gateway, queries, services, webhooks
from app.billing.forms import CheckoutForm, PortalForm
from app.errors import render_error
from app.extensions import csrf, db, limiter
from app.web import Outcome, attempt

log = logging.getLogger("gatehouse.billing")


@bp.app_errorhandler(gateway.GatewayError)
def gateway_failed(exc: gateway.GatewayError):
    db.session.rollback()
    return render_error(502)


def render_page(form: CheckoutForm | None = None, status: int = 200):
    user = current_user._get_current_object()
    return render_template(
        "billing/index.html",
        configured=gateway.configured(),
        offers=queries.offers(),
        workspaces=queries.workspaces(user),
        free=queries.free_limits(),
        failed=form,
        failed_org=(form.org.data or None) if form else None,
    ), status


def _with_reason(done: Outcome, form: CheckoutForm):
    """The form back with the reason, next to its field or at the top of the workspace."""
    message = done.show_on(form)
    if message:
        form.form_errors.append(message)
    return render_page(form, done.status)


@bp.get("")
@login_required
def index():
    return render_page()


@bp.post("/checkout")
@login_required
def checkout():
    form = CheckoutForm()
    if not form.validate_on_submit():
        return render_page(form, 422)
    done = attempt(
        services.start_checkout,
        current_user._get_current_object(),
        form.plan.data,
        form.interval.data,
        form.org.data or None,
        form.seats.data,
        form.invoice_details.data,
    )
    if not done.ok:
        return _with_reason(done, form)
    return redirect(done.value, 303)


@bp.post("/portal")
@login_required
def portal():
    form = PortalForm()
    if not form.validate_on_submit():
        abort(400)
    done = attempt(services.open_portal, current_user._get_current_object(), form.org.data or None)
    if not done.ok:
        return _with_reason(done, CheckoutForm(formdata=None, org=form.org.data))
    return redirect(done.value, 303)


@bp.get("/success")
@login_required
def success():
    # Nothing is activated here: only Stripe's signed events change the plan.
    return render_template(
        "billing/success.html", workspaces=queries.workspaces(current_user._get_current_object())
    )


@bp.get("/cancelled")
@login_required
def cancelled():
    return render_template("billing/cancelled.html")


@bp.post("/webhook")
@csrf.exempt
@limiter.exempt
def webhook():
    try:
        event = gateway.verify_webhook(
            request.get_data(),
            request.headers.get("Stripe-Signature"),
            current_app.config.get("STRIPE_WEBHOOK_SECRET"),
        )
    except gateway.SignatureError as exc:
        log.warning("stripe webhook refused: %s", exc)
        return {"error": "signature verification failed"}, 400
    try:
        result = webhooks.process(event)
    except event_shape.MalformedEvent as exc:
        db.session.rollback()
        log.warning("stripe webhook refused: %s", exc)
        return {"error": f"malformed event: {exc}"}, 400
    log.info("stripe event %s %s: %s", event["id"], event.get("type"), result)
    return {"received": True, "result": result}, 200
