"""SCIM 2.0 provisioning at /scim/v2 (SPEC §9): the SCIM storage adapter over our models."""

from app.scim.routes import bp

__all__ = ["bp"]
