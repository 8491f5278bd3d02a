"""L2-SP: pull trainable encoder weights towards their values at the start of transfer.

The parameter-transfer half of La-DTL (Wang et al. 2018), in the L2-SP form of Li et al. 2018:
a penalty alpha/2 * ||w - w_start||^2 on every trainable encoder weight. It is added as its
gradient, alpha * (w - w_start), to the weights' .grad after each backward pass through the
encoder, so that any thinc optimizer applies it together with the task gradient.

w_start is captured at the first training forward pass, not at initialize: a component sourced
from a source pipeline is never re-initialized, and its weights at that point are the source
model's. The reference lives on the torch module itself (models/frozen.py calls these helpers),
so a module rebuilt by from_bytes/from_disk starts a new reference when training resumes.
"""
from typing import Dict

REF_ATTR = "_clinner_l2sp_reference"


def capture_reference(module) -> Dict[str, "torch.Tensor"]:  # noqa: F821
    """Copy the current trainable weights of a torch module as the L2-SP anchor (once).

    module (torch.nn.Module): the encoder.
    RETURNS (Dict[str, Tensor]): parameter name -> detached copy of its start value.
    """
    reference = getattr(module, REF_ATTR, None)
    if reference is None:
        reference = {
            name: param.detach().clone()
            for name, param in module.named_parameters()
            if param.requires_grad
        }
        # object.__setattr__: a plain attribute, so the copies are neither parameters nor
        # buffers and never reach the state_dict (the saved pipeline stays the same size)
        object.__setattr__(module, REF_ATTR, reference)
    return reference


def add_l2sp_gradient(module, alpha: float) -> float:
    """Add alpha * (w - w_start) to the gradient of each trainable weight that has one.

    module (torch.nn.Module): the encoder, after a backward pass.
    alpha (float): penalty strength.
    RETURNS (float): the penalty alpha/2 * ||w - w_start||^2, for logging.
    """
    import torch

    reference = getattr(module, REF_ATTR, None)
    if reference is None or alpha <= 0:
        return 0.0
    penalty = 0.0
    with torch.no_grad():
        for name, param in module.named_parameters():
            start = reference.get(name)
            if start is None or not param.requires_grad or param.grad is None:
                continue
            diff = param.data - start
            param.grad.add_(diff, alpha=alpha)
            penalty += float((diff * diff).sum())
    return 0.5 * alpha * penalty


def clear_reference(module) -> None:
    """Forget the anchor, so that the next training step captures a new one."""
    if getattr(module, REF_ATTR, None) is not None:
        object.__setattr__(module, REF_ATTR, None)
