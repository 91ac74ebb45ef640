"""The fast layer normalisation: ``FastLayerNorm``, what ``minidl.ops.layer_norm`` runs by default.

Layer normalisation takes its statistics within each sample, so the batch splits into chunks of
samples that need nothing from each other. This form runs the readable form's own functions
(``normalized``, ``scaled_and_shifted``, ``input_gradient`` in
``minidl/ops/reference/layer_norm.py``; read that first) chunk by chunk on every CPU core
(``core_chunks``, ``map_chunks``), each chunk small enough to stay in cache through the formula's
half-dozen passes, writing into whole-batch buffers. Only dL/dgamma and dL/dbeta, which sum over
the samples, are summed per chunk and then added in chunk order (``sum_in_order``): they equal
the readable form's up to the order of the additions; y and dL/dx are the same bits.
"""

from minidl.ops.reference.layer_norm import LayerNorm, input_gradient, normalized, scaled_and_shifted
from minidl.runtime.parallel import core_chunks, map_chunks, sum_in_order
from minidl.runtime.step_buffers import reusable_empty, reusable_empty_like


def fast_form_applies(x, *parameters):
    """A non-empty input whose dtype every parameter shares (the readable form would otherwise
    promote the result, and the chunks write into buffers of x's dtype)."""
    return x.size > 0 and all(parameter.dtype == x.dtype for parameter in parameters)


class FastLayerNorm(LayerNorm):
    """``LayerNorm`` over chunks of samples on every core. Must equal ``LayerNorm``."""

    def forward(self, x, *parameters):
        gamma, beta = self._broadcast_parameters(x, parameters)
        statistic_shape = tuple(1 if axis in self.axes else size for axis, size in enumerate(x.shape))
        x_hat, inv_std = reusable_empty_like(x), reusable_empty(statistic_shape, x.dtype)
        y = x_hat if gamma is None and beta is None else reusable_empty_like(x)
        self.chunks = core_chunks(x.shape[0], x[:1].nbytes)

        def normalize(start, stop, _):
            x_hat_chunk, inv_std[start:stop] = normalized(x[start:stop], self.axes, self.epsilon,
                                                          out=x_hat[start:stop])
            scaled_and_shifted(x_hat_chunk, gamma, beta, out=y[start:stop])

        map_chunks(normalize, self.chunks)
        self.x_hat, self.inv_std = x_hat, inv_std
        return y

    def backward(self, gy):
        need_x, *need_parameters = self.needs_input_grad
        grad_x = reusable_empty_like(gy) if need_x else None
        need_gamma = self.scale and need_parameters[0]
        need_beta = self.center and need_parameters[-1]

        def backpropagate(start, stop, _):
            """This chunk's dL/dx, and its shares of dL/dgamma and dL/dbeta."""
            gy_chunk, x_hat = gy[start:stop], self.x_hat[start:stop]
            if need_x:
                input_gradient(gy_chunk, self.gamma, x_hat, self.inv_std[start:stop], self.axes,
                               out=grad_x[start:stop])
            return (self._sum_over_samples(gy_chunk * x_hat) if need_gamma else None,
                    self._sum_over_samples(gy_chunk) if need_beta else None)

        parts = map_chunks(backpropagate, self.chunks)
        grad_parameters = []
        if self.scale:
            grad_parameters.append(sum_in_order(part[0] for part in parts) if need_gamma else None)
        if self.center:
            grad_parameters.append(sum_in_order(part[1] for part in parts) if need_beta else None)
        return (grad_x, *grad_parameters)
