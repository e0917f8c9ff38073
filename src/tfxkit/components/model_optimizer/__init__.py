"""ModelQuantizer, ModelPruner and Distiller: optimized models, measured and gated."""
