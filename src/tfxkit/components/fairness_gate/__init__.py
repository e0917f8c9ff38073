"""FairnessGate: deny the push when a rate gap between sensitive slices exceeds its bound."""
