"""``Idempotency-Key``: a retried request answered as it was the first time, its work not done
twice. One table (``idempotency_keys``) and the rules of it (``service``); the API's creating
operations use it through ``api.idempotency``."""
