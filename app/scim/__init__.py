"""SCIM 2.0 provisioning at /scim/v2 (SPEC §9)."""
