"""ModelPusher: pushes a blessed model atomically, once, under increasing integer versions."""
