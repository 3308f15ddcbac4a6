// The notebook runtime (placeholder until it lands).
