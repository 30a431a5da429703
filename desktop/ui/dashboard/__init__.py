"""The dashboard window. Importing this package loads pyqtgraph: import it only when
the dashboard first opens (``desktop.ui.app`` does)."""
