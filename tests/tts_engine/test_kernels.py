"""Packed bf16 linear layers: the same numbers as F.linear, refreshed when the weight changes, fallbacks intact."""
import copy
import threading

import pytest
import torch
import torch.nn.functional as F

from tts_engine.gpt.config import GPTConfig
from tts_engine.gpt.model import Text2Semantic
from tts_engine.kernels import PackedLinear, WeightPack, packed_linear

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="PyTorch built without oneDNN")

BF16 = torch.bfloat16


def _layer(seed: int = 0, dtype: torch.dtype = BF16) -> PackedLinear:
    torch.manual_seed(seed)
    return PackedLinear(64, 96).to(dtype)


@torch.inference_mode()
def test_bf16_output_equals_f_linear_for_any_input_layout():
    layer = _layer()
    x = torch.randn(9, 3, 64).to(BF16)
    for inputs in (x, x[:, 1], x[:1, 0], x.transpose(0, 1), x.reshape(27, 64)):
        torch.testing.assert_close(layer(inputs), F.linear(inputs, layer.weight, layer.bias), atol=2e-2, rtol=2e-2)
    assert layer.pack._packed is not None, "the bf16 CPU path should run on the packed weight"


@pytest.mark.parametrize("shape", [(1536, 512), (512, 512), (2048, 512), (512, 2048), (1025, 512)])
def test_decode_steps_at_gpt_sizes_are_bit_identical_to_f_linear(shape):
    torch.manual_seed(8)
    weight, bias, pack = torch.randn(shape).to(BF16), torch.randn(shape[0]).to(BF16), WeightPack()
    with torch.inference_mode():
        for rows in (1, 3, 16, 64):
            x = torch.randn(rows, 1, shape[1]).to(BF16)                 # (B, S=1, D): one decode step
            assert torch.equal(packed_linear(x, weight, bias, pack), F.linear(x, weight, bias))


@torch.inference_mode()
def test_a_row_gets_the_same_bits_alone_and_in_a_batch():
    layer = _layer(1)
    x = torch.randn(16, 64).to(BF16)
    batch = layer(x)
    for row in (0, 5, 15):
        assert torch.equal(layer(x[row:row + 1]), batch[row:row + 1])


def test_the_pack_follows_in_place_writes_and_new_weights():
    layer, other = _layer(2), _layer(3)                    # weights made outside inference mode, as loaded
    x = torch.randn(4, 64).to(BF16)
    with torch.inference_mode():
        before = layer(x)
        layer.weight.mul_(2)                               # in place: same storage, new version
        assert torch.equal(layer(x), F.linear(x, layer.weight, layer.bias))
        assert not torch.equal(layer(x), before)
        layer.load_state_dict(other.state_dict())          # copied in
        assert torch.equal(layer(x), other(x))
    layer.weight = torch.nn.Parameter(torch.randn(96, 64).to(BF16))   # a new tensor
    with torch.inference_mode():
        assert torch.equal(layer(x), F.linear(x, layer.weight, layer.bias))


def test_float32_and_autograd_run_plain_f_linear():
    layer = _layer(4, torch.float32)
    x = torch.randn(5, 64)
    assert torch.equal(layer(x), F.linear(x, layer.weight, layer.bias))
    assert layer.pack._packed is None
    trained = _layer(5)
    with torch.enable_grad():
        trained(torch.randn(2, 64).to(BF16)).float().sum().backward()   # the packed op has no backward
    assert trained.pack._packed is None
    assert trained.weight.grad is not None


@torch.inference_mode()
def test_copies_and_the_gpt_state_dict_are_unchanged():
    layer = _layer(6)
    x = torch.randn(3, 64).to(BF16)
    expected = layer(x)
    twin = copy.deepcopy(layer)
    assert twin.pack is not layer.pack and torch.equal(twin(x), expected)
    cfg = GPTConfig(phoneme_vocab_size=20, vocab_size=33, eos=32, hidden_dim=32, n_head=2, n_layer=1, bert_dim=16)
    names = set(Text2Semantic(cfg).state_dict())
    assert "h.layers.0.self_attn.in_proj_weight" in names and "h.layers.0.linear1.weight" in names
    assert not any("pack" in name for name in names)


@torch.inference_mode()
def test_function_form_matches_the_module_form():
    layer = _layer(7)
    x = torch.randn(2, 64).to(BF16)
    assert torch.equal(packed_linear(x, layer.weight, None, WeightPack()), F.linear(x, layer.weight))


def test_threads_sharing_a_layer_get_the_serial_results_from_its_first_use_on():
    layer, n_threads = _layer(9), 4                  # GPT streams share one model and its packs
    twin = copy.deepcopy(layer)                      # its own pack, used from this thread only
    inputs = [torch.randn(rows, 64).to(BF16) for rows in range(1, n_threads + 1)]
    start, outputs = threading.Barrier(n_threads), [None] * n_threads

    def decode(k: int) -> None:
        start.wait(timeout=30)                       # first use (the packing) at once in every thread
        with torch.inference_mode():
            outputs[k] = [layer(inputs[k]) for _ in range(3)]

    threads = [threading.Thread(target=decode, args=(k,)) for k in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with torch.inference_mode():
        for x, results in zip(inputs, outputs):
            assert results is not None and all(torch.equal(y, twin(x)) for y in results)
    assert layer.pack._packed is not None
