"""ProxAdam(fused=True): torch's fused Adam kernel for the smooth update."""

import pytest
import torch

from riata.optim import ProxAdam, adam_update, fused_adam_update
from riata.penalties import L1, GroupLasso


def _run(opt_factory, start, grads):
    w = torch.nn.Parameter(start.clone())
    opt = opt_factory([w])
    for g in grads:
        w.grad = g.clone()
        opt.step()
    return w.detach()


def _problem(seed=0, steps=6):
    gen = torch.Generator().manual_seed(seed)
    start = torch.randn(5, 9, generator=gen)
    grads = [torch.randn(5, 9, generator=gen) for _ in range(steps)]
    for g in grads:
        g[:, 0] = 0.0  # a column with no gradient history
    return start, grads


def test_without_a_penalty_it_is_torch_fused_adam_bit_for_bit():
    start, grads = _problem()
    ours = _run(lambda p: ProxAdam(p, lr=0.05, fused=True), start, grads)
    torch_fused = _run(lambda p: torch.optim.Adam(p, lr=0.05, fused=True), start, grads)
    assert torch.equal(ours, torch_fused)
    unfused = _run(lambda p: ProxAdam(p, lr=0.05), start, grads)
    torch.testing.assert_close(ours, unfused, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("penalty", [L1(alpha=0.4), GroupLasso(alpha=8.0)])
def test_with_a_prox_it_agrees_with_the_unfused_update(penalty):
    start, grads = _problem(seed=1)
    fused = _run(lambda p: ProxAdam(p, lr=0.05, penalty=penalty, fused=True), start, grads)
    plain = _run(lambda p: ProxAdam(p, lr=0.05, penalty=penalty), start, grads)
    torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-6)
    assert torch.equal(fused == 0, plain == 0)
    assert (plain == 0).any() and (plain[:, 0] == start[:, 0]).all()  # no history: kept


def test_the_step_sizes_equal_adam_updates():
    start, grads = _problem(seed=2, steps=3)
    p1, p2, s1, s2 = start.clone(), start.clone(), {}, {}
    for g in grads:
        step1 = adam_update(p1, g, s1, lr=0.01, betas=(0.9, 0.999), eps=1e-8)
        step2 = fused_adam_update(p2, g, s2, lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    torch.testing.assert_close(step2, step1, rtol=1e-6, atol=0)
    assert (step2[:, 0] == 0).all() and s2["step"] == s1["step"] == 3
    assert fused_adam_update(p2, grads[0], s2, lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                             with_step=False) is None


def test_a_state_saved_before_fused_existed_loads_and_steps():
    w = torch.nn.Parameter(torch.ones(3))
    opt = ProxAdam([w], lr=0.1)
    w.grad = torch.ones(3)
    opt.step()
    state = opt.state_dict()
    del state["param_groups"][0]["fused"]
    again = ProxAdam([w], lr=0.1)
    again.load_state_dict(state)
    w.grad = torch.ones(3)
    again.step()
    assert again.state[w]["step"] == 2
