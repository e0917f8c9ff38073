"""InfraCheck: before a push, prove the model serves (a fresh process, TF Serving's requests)."""
