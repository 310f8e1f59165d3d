import ctypes
import os

import pytest
import torch

from assocmem import tiers


def test_default_is_ci(monkeypatch):
    monkeypatch.delenv(tiers.VARIABLE, raising=False)
    assert tiers.current() == "ci" and tiers.device() == torch.device("cpu")


def test_environment_selects_paper(monkeypatch):
    monkeypatch.setenv(tiers.VARIABLE, "Paper")
    assert tiers.current() == "paper"
    assert tiers.current("ci") == "ci"


def test_threads_sets_and_restores_the_count():
    before = torch.get_num_threads()
    with tiers.threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before
    with tiers.threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be an integer >= 1, got 0"):
        with tiers.threads(0):
            pass
    assert torch.get_num_threads() == before


def test_unknown_tier_is_rejected(monkeypatch):
    monkeypatch.setenv(tiers.VARIABLE, "huge")
    with pytest.raises(ValueError, match=r"ASSOCMEM_TIER must be one of \['ci', 'paper'\], got 'huge'"):
        tiers.current()
    with pytest.raises(ValueError, match="tier must be one of"):
        tiers.current("gpu")


def test_flush_denormal_is_scoped():
    tiny = torch.tensor(1e-310, dtype=torch.float64)
    assert (tiny * 1).item() != 0.0
    with tiers.flush_denormal():
        assert (tiny * 1).item() == 0.0
    assert (tiny * 1).item() != 0.0, "flush-denormal leaked out of the block"
    with pytest.raises(RuntimeError):
        with tiers.flush_denormal():
            raise RuntimeError("inside")
    assert (tiny * 1).item() != 0.0, "flush-denormal leaked out of a block that raised"


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def _mallinfo():
    """glibc's allocator statistics (mallinfo2), or a skip where there is none."""
    libc = tiers._glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        pytest.skip("needs glibc >= 2.33 (mallinfo2)")
    libc.mallinfo2.restype = _MallInfo2  # per CDLL object: set on the one that is called
    return libc.mallinfo2()


def _large_tensor_maps():
    """Whether a fresh large tensor is held in its own mmap (True) or comes from the heap.

    The tensor is 64 MiB larger than all the free memory the heap holds (mallinfo2().fordblks),
    so no freed block left in the heap by earlier work (a block's memory goes back to the system,
    but its address range stays in the heap) can serve it: only the allocator's options decide.
    It is never touched, so only address space is used.
    """
    before = _mallinfo()
    x = torch.empty((before.fordblks + 64 * 2**20) // 4)  # float32, above glibc's largest mmap threshold (32 MiB)
    mapped = _mallinfo().hblks > before.hblks
    del x
    return mapped


def test_reuse_freed_memory_serves_large_tensors_from_the_heap_inside_the_block_only():
    assert _large_tensor_maps(), "outside the block a large tensor should get its own mmap"
    with tiers.reuse_freed_memory():
        assert not _large_tensor_maps()
        with tiers.reuse_freed_memory():  # a nested block acts once: leaving it keeps the outer one's setting
            pass
        assert not _large_tensor_maps(), "leaving a nested block ended the outer one"
    assert _large_tensor_maps(), "reuse_freed_memory leaked out of the block"
    with pytest.raises(RuntimeError):
        with tiers.reuse_freed_memory():
            raise RuntimeError("inside")
    assert _large_tensor_maps(), "reuse_freed_memory leaked out of a block that raised"
    with tiers.reuse_freed_memory(enabled=False):
        assert _large_tensor_maps()


def _resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_reuse_freed_memory_keeps_freed_memory_inside_and_returns_it_on_exit():
    if tiers._glibc() is None or not os.path.exists("/proc/self/statm"):
        pytest.skip("needs glibc and /proc (Linux)")
    with tiers.reuse_freed_memory():
        x = torch.ones(64 * 2**20)  # 256 MiB from the heap, touched
        del x
        kept = _resident_bytes()
    returned = kept - _resident_bytes()
    assert returned > 200 * 2**20, f"only {returned / 2**20:.0f} MiB of the freed 256 MiB went back to the system on exit"
