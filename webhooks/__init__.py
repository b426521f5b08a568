"""The Stripe webhook service: Stripe events in, cases started and signalled."""
