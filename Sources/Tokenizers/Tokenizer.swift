// Tokenizers (placeholder until they land).
