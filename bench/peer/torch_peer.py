"""The PyTorch peer of bench/flow-training.ts: the same RealNVP, step and sampling, on one thread.

Called by the bench with one JSON argument:
  {"configs": [{"name", "dim", "blocks", "hidden", "batch"}], "steps": int, "repeats": int,
   "sampling": {"n": int, "chunk": int, "blocks": int, "hidden": [..], "nSolvent": int}}
and prints one JSON object: ms per ML step per configuration (median and every repeat) and dimer
samples per second (flow forward in float32, float64 energies and log-weights), with torch's
version and BLAS. The network mirrors engine/flows/coupling.ts: blocks of two affine couplings over
the even/odd halves, one MLP per coupling emitting [s, t], s = tanh(raw), ReLU hidden layers.
"""
import json
import os
import re
import sys
import time

# One thread: OpenBLAS's own pool ignores torch.set_num_threads, so it is pinned before import.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
import torch  # noqa: E402

torch.set_num_threads(1)


class Coupling(torch.nn.Module):
    def __init__(self, n_in, n_out, hidden):
        super().__init__()
        sizes = [n_in, *hidden, 2 * n_out]
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers[:-1])
        torch.nn.init.zeros_(self.net[-1].weight)
        torch.nn.init.zeros_(self.net[-1].bias)
        self.n_out = n_out

    def forward(self, cond, target, inverse):
        out = self.net(cond)
        s = torch.tanh(out[:, : self.n_out])
        t = out[:, self.n_out :]
        if inverse:
            return (target - t) * torch.exp(-s), -s.sum(1)
        return target * torch.exp(s) + t, s.sum(1)


class RealNVP(torch.nn.Module):
    def __init__(self, dim, blocks, hidden):
        super().__init__()
        self.even = list(range(0, dim, 2))
        self.odd = list(range(1, dim, 2))
        ne, no = len(self.even), len(self.odd)
        self.couplings = torch.nn.ModuleList()
        for i in range(2 * blocks):
            updates_odd = i % 2 == 0
            self.couplings.append(Coupling(ne if updates_odd else no, no if updates_odd else ne, hidden))
        self.order = torch.tensor(self.even + self.odd)
        self.back = torch.argsort(self.order)

    def _run(self, h, inverse):
        a, b = h[:, self.order].split([len(self.even), len(self.odd)], 1)
        logdet = torch.zeros(h.shape[0], dtype=h.dtype)
        seq = list(enumerate(self.couplings))
        for i, c in reversed(seq) if inverse else seq:
            if i % 2 == 0:
                b, ld = c(a, b, inverse)
            else:
                a, ld = c(b, a, inverse)
            logdet = logdet + ld
        return torch.cat([a, b], 1)[:, self.back], logdet

    def forward(self, z):
        return self._run(z, False)

    def inverse(self, x):
        return self._run(x, True)


def ml_step_ms(c, steps, repeats):
    torch.manual_seed(1)
    flow = RealNVP(c["dim"], c["blocks"], c["hidden"])
    # Random last layers, as after some training (zero-initialised nets are a special case).
    for p in flow.parameters():
        torch.nn.init.normal_(p, std=0.05)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-4)
    data = torch.randn(4096, c["dim"])

    def step():
        idx = torch.randint(0, data.shape[0], (c["batch"],))
        z, logdet = flow.inverse(data[idx])
        loss = (0.5 * (z * z).sum(1) - logdet).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(5):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        times.append(1000 * (time.perf_counter() - t0) / steps)
    return times


BOND_A, BOND_B, BOND_MID, RESTRAINT_K, BOX_K = 25.0, 10.0, 1.5, 20.0, 100.0


def dimer_energy(x, n_solvent, slope=2.0, box_half=3.0, eps=1.0, rm=1.1):
    """engine/energies/dimer.ts in float64, batched: WCA-like r^-12 pairs (not the dimer pair), the
    double-well bond, the restraint and the box wall (counted once)."""
    p = n_solvent + 2
    r = x.view(-1, p, 2)
    d = r[:, :, None, :] - r[:, None, :, :]
    r2 = (d * d).sum(-1)
    iu = torch.triu_indices(p, p, 1)
    keep = ~((iu[0] == 0) & (iu[1] == 1))
    pair = r2[:, iu[0][keep], iu[1][keep]]
    s = rm * rm / pair
    e = eps * (s**6).sum(1)
    dist = torch.sqrt(((r[:, 0] - r[:, 1]) ** 2).sum(1))
    q = 2 * (dist - BOND_MID)
    e = e + slope * q - BOND_A * q**2 + BOND_B * q**4
    e = e + RESTRAINT_K * ((r[:, 0, 0] + r[:, 1, 0]) ** 2 + r[:, 0, 1] ** 2 + r[:, 1, 1] ** 2)
    over = torch.clamp(x.abs() - box_half, min=0)
    return e + 2 * BOX_K * (over * over).sum(1)


def sampling_rate(s):
    torch.manual_seed(2)
    dim = 2 * (s["nSolvent"] + 2)
    flow = RealNVP(dim, s["blocks"], s["hidden"])
    for p in flow.parameters():
        torch.nn.init.normal_(p, std=0.01)
    n, chunk = s["n"], s["chunk"]
    t0 = time.perf_counter()
    logw = torch.empty(n, dtype=torch.float64)
    with torch.no_grad():
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            z = torch.randn(m, dim)
            x, logdet = flow(z)
            u = dimer_energy(x.double(), s["nSolvent"])
            logq = -0.5 * (z.double() ** 2).sum(1) - logdet.double()
            logw[start : start + m] = -u - logq
    seconds = time.perf_counter() - t0
    finite = torch.isfinite(logw).sum().item()
    return {"samplesPerSecond": n / seconds, "seconds": seconds, "finite": finite}


def blas_library():
    """The BLAS this process loaded: Debian's torch is built against the generic libblas.so.3, which
    the alternatives system points at OpenBLAS (libopenblas0-pthread) or the slow reference BLAS."""
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and ".so" in line})
    build = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return {"build": build.group(1) if build else "unknown", "loaded": libs}


def main():
    req = json.loads(sys.argv[1])
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "configs": {},
    }
    for c in req["configs"]:
        times = ml_step_ms(c, req["steps"], req["repeats"])
        out["configs"][c["name"]] = {"msPerStep": sorted(times)[len(times) // 2], "msPerStepSamples": times}
    if req.get("sampling"):
        out["sampling"] = sampling_rate(req["sampling"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
