// Datasets (placeholder until they land).
