# The IPython kernels of the project's environment (`make` copies this file to .venv/etc/ipython/, where every
# kernel started with .venv's Python reads it: `make lab`'s, Binder's).
#
# On CPUs with AVX-512, TensorFlow 2.21 writes "oneDNN custom operations are on" (and absl's notice) on the
# process's stderr descriptor as it loads, whatever TF_CPP_MIN_LOG_LEVEL says. ipykernel would copy such
# writes into the notebook under the first import; without that capture they go to the terminal that started
# Jupyter, as they did before ipykernel 6. What Python code prints still reaches the notebook.
c = get_config()  # noqa: F821 (IPython's config files are run with get_config defined)
c.IPKernelApp.capture_fd_output = False
