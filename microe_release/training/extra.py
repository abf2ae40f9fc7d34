"""The ``train`` extra (PyTorch and safetensors), imported on first use with one clear error when missing."""

from __future__ import annotations

from types import ModuleType

from ..errors import TrainingError

#: How to get the extra; torch first on a CPU-only machine, as an unpinned torch pulls GBs of CUDA packages.
INSTALL_HINT = "pip install 'microe-release[train]' (on a CPU-only machine install torch==2.13.0 first)"


def import_train_extra(command: str = "microe train") -> tuple[ModuleType, ModuleType]:
    """Import torch and ``safetensors.torch``, or say how to install them.

    Parameters
    ----------
    command : str
        The command that needs them, named in the error (``microe train`` or ``microe predict``).

    Returns
    -------
    tuple of module
        ``torch`` and ``safetensors.torch``.

    Raises
    ------
    TrainingError
        When either cannot be imported; the message names the install command.

    Examples
    --------
    >>> torch, safetensors_torch = import_train_extra()
    >>> callable(safetensors_torch.save_file)
    True
    """
    try:
        import safetensors.torch as safetensors_torch
        import torch
    except ImportError as err:
        missing = err.name or "torch"
        msg = (f"{command} needs PyTorch and safetensors: {INSTALL_HINT}; "
               f"here '{missing}' cannot be imported ({err}).")
        raise TrainingError(msg) from err
    return torch, safetensors_torch
