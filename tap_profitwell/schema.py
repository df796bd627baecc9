"""The customers stream's schema: every documented field, with honest types.

Money is integer cents, ``plans`` a list of plan names, timestamps ``date-time`` strings with
their full precision. Only ``customer_id`` and ``updated_on`` are never null (they are the
primary key and the bookmark); ProfitWell returns null for any other field.
"""

from __future__ import annotations

from singer_sdk import typing as th

CUSTOMER_SCHEMA = th.PropertiesList(
    th.Property("customer_id", th.StringType, required=True, description="Billing-provider id."),
    th.Property("email", th.StringType, description="Customer email."),
    th.Property("first_name", th.StringType),
    th.Property("last_name", th.StringType),
    th.Property("mrr_cents", th.IntegerType, description="Monthly recurring revenue, in cents."),
    th.Property("plans", th.ArrayType(th.StringType), description="Plan names."),
    th.Property("status", th.StringType, description="Free text, e.g. active, churned_trial."),
    th.Property("created_on", th.DateTimeType),
    th.Property("activated_on", th.DateTimeType),
    th.Property("churned_on", th.DateTimeType, description="Null while the customer is live."),
    th.Property(
        "updated_on",
        th.DateTimeType,
        required=True,
        description="Last change; the bookmark. Rewritten as YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC).",
    ),
    th.Property("total_spend_cents", th.IntegerType, description="Lifetime spend, in cents."),
).to_dict()
