# Put on PYTHONPATH by tests/conftest.py: every Python process a test starts (notebook
# kernels, handler workers, the CLI) turns the network guard on before any user code runs.
from course.lab.network_guard import install

install()
