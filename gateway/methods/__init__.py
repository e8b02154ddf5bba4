"""Method handlers, one module per concern; importing this package registers them all."""

from gateway.methods import (  # noqa: F401  (imported for registration)
    account,
    admin,
    auth,
    clearing,
    game,
    labels,
    market,
    positions,
    reference,
    session,
    subscriptions,
    trading,
)
