"""Generic helpers with no business rules: clock, tokens, pagination, rate limits."""
