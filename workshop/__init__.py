"""Live workshops: a facilitator runs a maturity assessment with a room of participants on their own devices."""
