"""Stage 7: output formats. Each is one module here defining `FORMAT` (render/interface.py)."""
