"""The log viewer window (viewer.py), its table model (model.py) and worker (worker.py)."""
