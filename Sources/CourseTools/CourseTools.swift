// Course tools (placeholder until they land).
