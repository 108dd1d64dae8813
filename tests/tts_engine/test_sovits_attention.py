"""SoVITS relative-position attention against the spec's formula, written as plain loops."""
from __future__ import annotations

import math

import pytest
import torch

from tts_engine.sovits.attention import MultiHeadAttention


def _by_the_formula(attn: MultiHeadAttention, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
    """REFERENCE §3.3: scaled q, relative key term within +-w (zero outside), relative value term after softmax."""
    q, k, v = attn.conv_q(x)[0], attn.conv_k(context)[0], attn.conv_v(context)[0]   # (C, T)
    heads, d, w = attn.n_heads, attn.head_dim, attn.window_size
    t_q, t_k = q.shape[1], k.shape[1]
    out = torch.zeros(heads * d, t_q, dtype=x.dtype)
    for h in range(heads):
        qh, kh, vh = (m[h * d:(h + 1) * d] for m in (q, k, v))
        qh = qh / math.sqrt(d)
        for i in range(t_q):
            scores = torch.stack([
                qh[:, i] @ kh[:, j] + (qh[:, i] @ attn.emb_rel_k[0, j - i + w]
                                       if w is not None and abs(j - i) <= w else 0.0)
                for j in range(t_k)])
            p = torch.softmax(scores, dim=0)
            row = sum(p[j] * vh[:, j] for j in range(t_k))
            if w is not None:
                row = row + sum(p[j] * attn.emb_rel_v[0, j - i + w] for j in range(t_k) if abs(j - i) <= w)
            out[h * d:(h + 1) * d, i] = row
    return attn.conv_o(out[None])


@pytest.mark.parametrize("length, window", [(1, 4), (3, 4), (5, 4), (12, 4), (7, 1)])
def test_relative_self_attention(length, window):
    torch.manual_seed(length)
    attn = MultiHeadAttention(6, 3, window).double()
    x = torch.randn(1, 6, length, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(attn(x, x), _by_the_formula(attn, x, x))


def test_cross_attention_has_no_relative_terms():
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, 4).double()
    assert not hasattr(attn, "emb_rel_k")
    x, context = torch.randn(1, 8, 5, dtype=torch.float64), torch.randn(1, 8, 9, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(attn(x, context), _by_the_formula(attn, x, context))
