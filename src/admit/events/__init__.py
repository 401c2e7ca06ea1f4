"""Events told to the outside: the catalogue of webhook events, and the outbox they are written
to in the transaction of the change they describe (``events.outbox``). Endpoints are managed and
messages delivered by ``admit.webhooks``."""
