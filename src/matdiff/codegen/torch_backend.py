"""The PyTorch printer: tensor operations only, so the function runs on any device
(CUDA included); constants take the dtype and device of the arguments."""
from __future__ import annotations

from .emit import Code, Printer


class TorchPrinter(Printer):
    backend = "torch"
    F = "torch"
    IMPORTS = ("import torch",)
    HELPERS = {
        "_logsumexp": '''\
def _logsumexp(a):
    """log(sum(exp(a))) over all entries."""
    return torch.logsumexp(a.reshape(-1), 0)
''',
        "_softmax": '''\
def _softmax(a):
    """exp(a)/sum(exp(a)) over all entries."""
    return torch.softmax(a.reshape(-1), 0).reshape(a.shape)
''',
        "_adj": '''\
def _adj(a):
    """The adjugate, from the SVD (defined where a is singular)."""
    u, s, vt = torch.linalg.svd(a)
    own = torch.eye(len(s), dtype=torch.bool, device=s.device)
    others = torch.prod(torch.where(own, 1.0, s[None, :]), axis=1)  # Π_(j≠i) s_j
    return torch.linalg.det(u) * torch.linalg.det(vt) * (vt.T * others) @ u.T
''',
        "_prep": '''\
def _prep(*args):
    """The arguments as tensors of one floating dtype, on the device of the first tensor."""
    ref = next((a for a in args if isinstance(a, torch.Tensor) and a.is_floating_point()), None)
    dtype = ref.dtype if ref is not None else torch.float64
    device = ref.device if ref is not None else None
    return tuple(torch.as_tensor(a, dtype=dtype, device=device) for a in args)
''',
        "_logdet": '''\
def _logdet(a):
    """log(det(a)) via slogdet; NaN where det(a) <= 0 (the log is undefined there)."""
    sign, logabs = torch.linalg.slogdet(a)
    return torch.where(sign > 0, logabs, torch.nan)
''',
    }

    def __init__(self):
        super().__init__()
        self.constants = False
        self.first = None

    def prologue(self, params):
        if not params:
            return []
        self.first = params[0][0]
        names = ", ".join(p for p, _ in params)
        target = names + ("," if len(params) == 1 else "")
        return [f"{target} = {self.use('_prep')}({names})"]

    def needs(self):
        if not self.constants:
            return []
        if self.first is None:
            return ["_opts = dict(dtype=torch.float64)"]
        return [f"_opts = dict(dtype={self.first}.dtype, device={self.first}.device)"]

    def _const(self, fname, arg) -> Code:
        self.constants = True
        return Code(f"torch.{fname}({arg}, **_opts)")

    def op_eye(self, op):
        return self._const("eye", self.dim(op.attr[0]).text)

    def op_ones(self, op):
        return self._const("ones", self.shape_code(op.attr[0]))

    def op_zeros(self, op):
        return self._const("zeros", self.shape_code(op.attr[0]))

    def scalar(self, c):
        self.constants = True
        return Code(f"torch.tensor(float({c.text}), **_opts)")

    def op_axsum(self, op, a):
        return self.suffix(a, f".sum(dim={op.attr[0]})")

    def op_expm(self, op, a):
        return self.call("torch.linalg.matrix_exp", a)

    def op_kron(self, op, a, b):
        # torch.kron views its operands: a transposed (non-contiguous) one raises
        oa, ob = op.attr  # (a scalar operand may be a Python float: no views there)
        return super().op_kron(op, a if oa == "s" else self.suffix(a, ".contiguous()"),
                               b if ob == "s" else self.suffix(b, ".contiguous()"))

    TO_NUMPY = "lambda t: t.detach().cpu().numpy()"
    FROM_NUMPY = "torch.as_tensor"
