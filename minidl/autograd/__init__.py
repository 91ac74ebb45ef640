"""Reverse-mode automatic differentiation: Tensor, Function, the backward engine, gradcheck."""

from minidl.autograd.engine import grad
from minidl.autograd.function import Function, debug, enable_grad, is_grad_enabled, no_grad
from minidl.autograd.gradcheck import GradcheckError, gradcheck
from minidl.autograd.tensor import Tensor, as_array, tensor

__all__ = [
    "Function", "GradcheckError", "Tensor", "as_array", "debug", "enable_grad",
    "grad", "gradcheck", "is_grad_enabled", "no_grad", "tensor",
]
