"""A local stand-in for the Stripe, HubSpot and SendGrid APIs the worker uses."""
